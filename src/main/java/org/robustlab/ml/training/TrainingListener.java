package org.robustlab.ml.training;

import java.nio.file.Path;

/** Hears a training run's progress; the runner writes what it hears to the database. */
public interface TrainingListener {

    /** After every batch. */
    default void onBatch(BatchProgress progress) {}

    /** After every epoch's validation. */
    default void onEpoch(EpochMetrics metrics) {}

    /** After a checkpoint was written ({@code best} for the best-robust one). */
    default void onCheckpoint(Path directory, int epoch, boolean best) {}

    TrainingListener NONE = new TrainingListener() {};

    /**
     * @param epoch 1-based epoch
     * @param batch 1-based batch within the epoch
     */
    record BatchProgress(int epoch, int epochs, int batch, int batches, double loss, double learningRate) {
        /** Fraction of the whole run done, in [0,1]. */
        public double fraction() {
            return ((epoch - 1) + (double) batch / batches) / epochs;
        }
    }
}
