package org.robustlab.execution;

import java.util.UUID;

/**
 * Where submitted jobs and evaluations wait for a worker, as the features see it; the runner implements it
 * with db-scheduler, so that the features never reach into the runner.
 */
public interface JobQueue {

    /** Queues the execution of {@code id}, unless one is queued already. */
    void queue(JobKind kind, UUID id);

    /** Takes {@code id} off the queue if no instance has picked it yet (it was cancelled while QUEUED). */
    void dequeue(JobKind kind, UUID id);

    /**
     * Asks the worker that runs {@code id} on this instance, if any, to stop after its batch; a worker on another
     * instance sees the job's cancel flag in the database at its next progress write.
     */
    void stopWorker(JobKind kind, UUID id);
}
