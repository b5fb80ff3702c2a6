package org.robustlab.ml.training;

/**
 * What one epoch measured. Accuracies are fractions in [0,1]; the training accuracy is on the inputs
 * the loss saw first (clean for standard, ARR and TRADES; adversarial for PGD-AT).
 *
 * @param epoch 1-based epoch number
 * @param loss mean training loss
 * @param crossEntropy its cross-entropy part
 * @param regularizer its regulariser part (lambda or beta not applied)
 * @param trainAccuracy training accuracy
 * @param validationCleanAccuracy clean accuracy on the validation split
 * @param validationRobustAccuracy PGD accuracy on the validation split
 * @param learningRate the learning rate at the end of the epoch
 * @param weight lambda or beta at the end of the epoch
 * @param trainSeconds seconds spent in training steps
 * @param seconds seconds for the whole epoch, validation and checkpoint included
 * @param imagesPerSecond training throughput
 */
public record EpochMetrics(
        int epoch,
        double loss,
        double crossEntropy,
        double regularizer,
        double trainAccuracy,
        double validationCleanAccuracy,
        double validationRobustAccuracy,
        double learningRate,
        double weight,
        double trainSeconds,
        double seconds,
        double imagesPerSecond) {}
