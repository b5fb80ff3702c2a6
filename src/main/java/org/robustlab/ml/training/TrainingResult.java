package org.robustlab.ml.training;

import java.nio.file.Path;
import java.util.List;

/**
 * How a run ended.
 *
 * @param status the outcome
 * @param reason a sentence for anything but COMPLETED
 * @param history per-epoch metrics, resumed epochs included
 * @param lastCheckpoint directory of the last checkpoint (null if no epoch finished)
 * @param bestCheckpoint directory of the best-robust checkpoint (null if no epoch finished)
 * @param bestEpoch the epoch of the best checkpoint
 */
public record TrainingResult(Status status, String reason, List<EpochMetrics> history, Path lastCheckpoint,
        Path bestCheckpoint, int bestEpoch) {

    public enum Status { COMPLETED, CANCELLED, DIVERGED, CATASTROPHIC_OVERFITTING }
}
