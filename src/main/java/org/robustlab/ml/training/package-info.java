/**
 * The training loop shared by standard training, ARR, PGD-AT, TRADES and MART: plans, SGD with
 * PyTorch's update rule, learning-rate schedules, listeners, cancellation and exact-resume checkpoints.
 */
package org.robustlab.ml.training;
