package org.robustlab.worker;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.robustlab.ml.training.EpochMetrics;

/**
 * What a worker process tells its service, one event per line on its standard output ({@link WorkerJson}). The
 * same type on both ends of the process boundary: the worker writes these records and the service reads them.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = WorkerEvent.Started.class, name = "started"),
        @JsonSubTypes.Type(value = WorkerEvent.Batch.class, name = "batch"),
        @JsonSubTypes.Type(value = WorkerEvent.Epoch.class, name = "epoch"),
        @JsonSubTypes.Type(value = WorkerEvent.Checkpoint.class, name = "checkpoint"),
        @JsonSubTypes.Type(value = WorkerEvent.Progress.class, name = "progress"),
        @JsonSubTypes.Type(value = WorkerEvent.Finished.class, name = "finished")})
public sealed interface WorkerEvent {

    /** The worker is up: its device, process id, libtorch and the GPUs it sees. */
    record Started(String device, long pid, String libtorch, int gpus) implements WorkerEvent {}

    /** Training progress within an epoch (at most five a second, and the epoch's last batch). */
    record Batch(int epoch, int epochs, int batch, int batches, double loss, double learningRate) implements WorkerEvent {}

    /** An epoch's metrics. */
    record Epoch(EpochMetrics metrics) implements WorkerEvent {}

    /** A checkpoint written to {@code directory}: the last one ({@code best} false) or the best-robust one. */
    record Checkpoint(String directory, int epoch, boolean best) implements WorkerEvent {}

    /** Evaluation progress: {@code done} of {@code total} units. */
    record Progress(int done, int total) implements WorkerEvent {}

    /**
     * The task's end: {@code status} is the job state it ends in (SUCCEEDED, FAILED, CANCELLED or STOPPED), with a
     * reason unless it succeeded; a training run also says its loop's outcome and its best-robust epoch.
     */
    record Finished(String status, String reason, String outcome, Integer bestEpoch) implements WorkerEvent {

        static Finished of(String status, String reason) {
            return new Finished(status, reason, null, null);
        }
    }
}
