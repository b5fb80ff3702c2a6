package org.robustlab.ml.training;

import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;

/**
 * Everything a training run needs, immutable. The runner builds it from a request; the core never
 * sees Spring properties or entities.
 *
 * @param dataset the dataset
 * @param trainSubset use a seeded sample of this many training examples (0: all)
 * @param validationSize examples held out from the training set for validation and best-checkpoint selection
 * @param architecture the network
 * @param method the training method and its parameters
 * @param epochs number of epochs
 * @param batchSize examples per batch
 * @param learningRate the base learning rate
 * @param momentum SGD momentum
 * @param nesterov Nesterov momentum
 * @param weightDecay L2 weight decay
 * @param schedule learning-rate schedule
 * @param augment the CIFAR augmentation (crop and flip)
 * @param epsilon validation attack budget, in [0,1] pixel units
 * @param validationPgdSteps PGD steps of the validation attack (step epsilon/4, random start)
 * @param collapseDrop stop for catastrophic overfitting when validation PGD accuracy falls this far below its best (0: never)
 * @param seed the seed of every random choice
 */
public record TrainingPlan(
        DatasetId dataset,
        int trainSubset,
        int validationSize,
        Architecture architecture,
        TrainingMethod method,
        int epochs,
        int batchSize,
        float learningRate,
        float momentum,
        boolean nesterov,
        float weightDecay,
        Schedule schedule,
        boolean augment,
        float epsilon,
        int validationPgdSteps,
        float collapseDrop,
        long seed) {

    public TrainingPlan {
        require(trainSubset >= 0, "trainSubset must be >= 0; got " + trainSubset);
        require(validationSize >= 1, "validationSize must be >= 1; got " + validationSize);
        require(epochs >= 1, "epochs must be >= 1; got " + epochs);
        require(batchSize >= 1, "batchSize must be >= 1; got " + batchSize);
        require(learningRate > 0f, "learningRate must be > 0; got " + learningRate);
        require(momentum >= 0f && momentum < 1f, "momentum must be in [0, 1); got " + momentum);
        require(weightDecay >= 0f, "weightDecay must be >= 0; got " + weightDecay);
        require(epsilon > 0f && epsilon <= 1f, "epsilon must be in (0, 1]; got " + epsilon);
        require(validationPgdSteps >= 1, "validationPgdSteps must be >= 1; got " + validationPgdSteps);
        require(collapseDrop >= 0f && collapseDrop <= 1f, "collapseDrop must be in [0, 1]; got " + collapseDrop);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** A sensible plan: SGD 0.9 momentum, weight decay 5e-4, the paper's schedule, 1,000 validation examples, PGD-10 validation. */
    public static TrainingPlan defaults(DatasetId dataset, Architecture architecture, TrainingMethod method, int epochs,
            float learningRate, float epsilon, long seed) {
        return new TrainingPlan(dataset, 0, 1000, architecture, method, epochs, 128, learningRate, 0.9f, false, 5e-4f,
                Schedule.paper(epochs), dataset.isCifar(), epsilon, 10, 0.2f, seed);
    }

    public TrainingPlan withTrainSubset(int n) {
        return new TrainingPlan(dataset, n, validationSize, architecture, method, epochs, batchSize, learningRate, momentum,
                nesterov, weightDecay, schedule, augment, epsilon, validationPgdSteps, collapseDrop, seed);
    }

    public TrainingPlan withValidationSize(int n) {
        return new TrainingPlan(dataset, trainSubset, n, architecture, method, epochs, batchSize, learningRate, momentum,
                nesterov, weightDecay, schedule, augment, epsilon, validationPgdSteps, collapseDrop, seed);
    }

    public TrainingPlan withBatchSize(int n) {
        return new TrainingPlan(dataset, trainSubset, validationSize, architecture, method, epochs, n, learningRate, momentum,
                nesterov, weightDecay, schedule, augment, epsilon, validationPgdSteps, collapseDrop, seed);
    }

    public TrainingPlan withSchedule(Schedule s) {
        return new TrainingPlan(dataset, trainSubset, validationSize, architecture, method, epochs, batchSize, learningRate,
                momentum, nesterov, weightDecay, s, augment, epsilon, validationPgdSteps, collapseDrop, seed);
    }

    public TrainingPlan withValidationPgdSteps(int n) {
        return new TrainingPlan(dataset, trainSubset, validationSize, architecture, method, epochs, batchSize, learningRate,
                momentum, nesterov, weightDecay, schedule, augment, epsilon, n, collapseDrop, seed);
    }
}
