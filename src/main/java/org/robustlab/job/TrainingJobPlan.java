package org.robustlab.job;

import org.robustlab.ml.training.TrainingPlan;

/**
 * What a training job runs, made from its request once, at submission, after every check; stored with the job,
 * and what the runner reads (never the request).
 *
 * @param training the training plan of the ML core
 * @param device where it may run: auto, cpu or gpu
 */
public record TrainingJobPlan(TrainingPlan training, String device) {}
