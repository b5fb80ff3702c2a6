/**
 * The training loop shared by standard training, ARR, PGD-AT, TRADES, MART, FGSM-RS and N-FGSM: plans, SGD with
 * PyTorch's update rule, learning-rate schedules, listeners, cancellation and exact-resume checkpoints.
 */
package org.robustlab.ml.training;
