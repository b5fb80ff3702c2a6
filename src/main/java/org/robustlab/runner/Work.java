package org.robustlab.runner;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Consumer;
import org.robustlab.device.DevicePool;
import org.robustlab.execution.Executable;
import org.robustlab.execution.ExecutionStore;
import org.robustlab.execution.FencedException;
import org.robustlab.execution.JobExecution;
import org.robustlab.execution.JobState;
import org.robustlab.worker.WorkerEvent;
import org.robustlab.worker.WorkerTask;
import tools.jackson.databind.ObjectMapper;

/**
 * What differs between a training job and an evaluation under the {@link WorkerSupervisor}: the task a worker is
 * sent and what its events do. Everything else (the slot, the token, the lease, cancel, shutdown, fencing, the
 * history) is the supervisor's.
 *
 * @param <J> the job's row
 * @param <P> the plan its submission stored
 */
abstract class Work<J extends Executable, P> {

    private final ExecutionStore<J> store;
    private final ObjectMapper json;
    private final Class<P> planType;

    Work(ExecutionStore<J> store, ObjectMapper json, Class<P> planType) {
        this.store = store;
        this.json = json;
        this.planType = planType;
    }

    ExecutionStore<J> store() {
        return store;
    }

    /** The job's plan, as its submission stored it. */
    P plan(J job) {
        return json.readValue(job.getPlanJson(), planType);
    }

    /** Where the job asked to run: auto, cpu or gpu. */
    abstract String device(P plan);

    /** The job's architecture, for the device pool's sharing rules (null if unknown). */
    abstract String architecture(J job);

    /**
     * Prepares one execution of {@code job}: its folder, checkpoints or models in place, and the worker's task.
     *
     * @throws CannotRunException when the job cannot run at all (it then fails with the exception's message)
     */
    abstract Run<J> open(J job, P plan, Start start) throws IOException, CannotRunException;

    /** An execution about to start: the job, its token, its history row and its device slot. */
    record Start(UUID id, String token, JobExecution history, DevicePool.Slot slot) {}

    /** One execution's worker, as the kind sees it: the task it is sent, in the job's folder, and what its events do. */
    abstract static class Run<J> {

        final WorkerTask task;
        /** The job's folder; its task file and worker log go there too. */
        final Path folder;

        Run(WorkerTask task, Path folder) {
            this.task = task;
            this.folder = folder;
        }

        /** Records a progress event (a training batch, an evaluation's units) on the row; called at most twice a second. */
        abstract void progress(J row, WorkerEvent event, Instant now);

        /** Any other event (an epoch's metrics, a checkpoint); throws {@link FencedException} once fenced. */
        void handle(WorkerEvent event) {}

        /**
         * The worker ended in {@code state}: keeps what it made (models, a report) and says how the job ends; the
         * supervisor then writes that ending, fenced, in one transaction with {@link Ending#change()}.
         */
        abstract Ending<J> complete(JobState state, String reason) throws IOException;
    }

    /** How a job ends, and what else its last write changes on the row (the report, the final progress). */
    record Ending<J>(JobState state, String reason, Consumer<J> change) {

        static <J> Ending<J> as(JobState state, String reason) {
            return new Ending<>(state, reason, row -> { });
        }
    }

    /** A job that cannot run (a deleted model, a missing checkpoint to continue); it fails with this message. */
    static final class CannotRunException extends Exception {
        CannotRunException(String message) {
            super(message);
        }
    }
}
