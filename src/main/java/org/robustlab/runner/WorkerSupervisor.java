package org.robustlab.runner;

import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.device.DevicePool;
import org.robustlab.device.NativeEngine;
import org.robustlab.execution.Executable;
import org.robustlab.execution.ExecutionLog;
import org.robustlab.execution.ExecutionStore;
import org.robustlab.execution.FencedException;
import org.robustlab.execution.JobExecution;
import org.robustlab.execution.JobState;
import org.robustlab.problem.CorruptedArtifactException;
import org.robustlab.problem.Problems;
import org.robustlab.worker.WorkerEvent;
import org.robustlab.worker.WorkerJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Owns the life of every worker process of this instance, training and evaluation alike: the attempt limit, the
 * device slot, the execution token that fences the job to this execution, the RUNNING state and the history row,
 * the worker's lease, cancel, shutdown, the throttled progress writes, and how the execution ends. What differs
 * between the two kinds is a {@link Work}.
 *
 * <p>How an execution ends:
 * <ul>
 *   <li>the worker reports its end: the job ends so (SUCCEEDED, FAILED, CANCELLED, STOPPED), with what it made;</li>
 *   <li>the worker stopped on its lease (this JVM was paused or starved past {@link SchedulerConfig#WORKER_LEASE_SECONDS}):
 *       an interruption, not a failure; the job stays RUNNING and is queued again at once, to resume from its last
 *       checkpoint here or on another instance ({@link Next#RESUME}), within {@code max-attempts};</li>
 *   <li>the service shuts down: likewise, the job resumes on the next start or on another instance;</li>
 *   <li>another execution took the job over (its token replaced this one's): FENCED, and nothing more is written;</li>
 *   <li>the worker died without a word (a native crash, out of memory): FAILED, with its exit code.</li>
 * </ul>
 */
@Component
class WorkerSupervisor {

    private static final Logger log = LoggerFactory.getLogger(WorkerSupervisor.class);
    /** Progress is written at most this often (ms); an epoch's metrics and the end always are. */
    private static final long PROGRESS_INTERVAL_MILLIS = 500;

    /** What db-scheduler does with the job's entry when an execution returns. */
    enum Next { DONE, RESUME }

    private record Running(String token, WorkerProcess worker) {}

    private final RobustLabProperties properties;
    private final DevicePool devices;
    private final NativeEngine engine;
    private final ExecutionLog executions;
    private final Clock clock;
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();
    private volatile boolean shuttingDown;

    WorkerSupervisor(RobustLabProperties properties, DevicePool devices, NativeEngine engine, ExecutionLog executions, Clock clock) {
        this.properties = properties;
        this.devices = devices;
        this.engine = engine;
        this.executions = executions;
        this.clock = clock;
    }

    /**
     * On shutdown the workers are stopped and their jobs stay RUNNING: they resume from their last checkpoint on the
     * next start, or on another instance.
     */
    @PreDestroy
    void shutdown() {
        shuttingDown = true;
        running.values().forEach(r -> r.worker().close());
    }

    /** Asks the job's worker on this instance, if any, to stop after its batch; it is killed after the grace period. */
    void cancel(UUID id) {
        Running r = running.get(id);
        if (r != null) {
            r.worker().cancel(properties.workers().cancelGraceSeconds());
        }
    }

    /** Runs the job to its end, or to an interruption after which it resumes; called by the job's scheduler entry. */
    <J extends Executable, P> Next run(Work<J, P> work, UUID id) throws InterruptedException {
        ExecutionStore<J> store = work.store();
        J job = store.find(id).orElse(null);
        if (job == null || job.execution().isTerminal()) {
            return Next.DONE;
        }
        int attempts = job.execution().getAttempts();
        if (attempts >= properties.workers().maxAttempts()) {
            store.finish(id, JobState.FAILED, "the " + store.kind().noun() + " was interrupted " + attempts
                    + " times (crash, restart or a stalled service) and has reached robustlab.workers.max-attempts");
            return Next.DONE;
        }
        DevicePool.Holder holder = new DevicePool.Holder(store.kind().noun(), id, work.architecture(job), job.getOwner());
        DevicePool.Slot slot;
        try {
            slot = devices.acquire(DevicePool.Request.fromId(work.device(work.plan(job))), holder);
        } catch (IllegalArgumentException e) {
            store.finish(id, JobState.FAILED, e.getMessage());
            return Next.DONE;
        }
        try {
            return execute(work, id, slot);
        } finally {
            devices.release(slot, holder);
        }
    }

    /** One execution under a new token: the job is RUNNING, fenced to it, with a history row that says how it ended. */
    private <J extends Executable, P> Next execute(Work<J, P> work, UUID id, DevicePool.Slot slot) throws InterruptedException {
        ExecutionStore<J> store = work.store();
        String token = UUID.randomUUID().toString();
        J job = store.update(id, row -> row.execution().start(token, slot.label(), clock.instant()));
        stopEarlierWorker(id, token);
        JobExecution history = executions.start(id, store.kind().name().toLowerCase(Locale.ROOT),
                job.execution().getAttempts(), properties.instanceName(), token);
        Outcome outcome;
        try {
            outcome = supervise(work, job, new Work.Start(id, token, history, slot));
        } catch (FencedException e) {
            log.warn("{} {}: {}", store.kind().noun(), id, e.getMessage());
            outcome = Outcome.FENCED;
        } catch (Work.CannotRunException | CorruptedArtifactException e) {
            outcome = end(store, id, token, Work.Ending.as(JobState.FAILED, e.getMessage()));
        } catch (IOException | RuntimeException e) {
            if (shuttingDown) {
                // the shutdown stopped the worker while its output was read (the JDK may then say "Stream closed")
                log.info("{} {} interrupted by shutdown ({}); it resumes from its checkpoint", store.kind().noun(), id, e.toString());
                outcome = Outcome.SHUTDOWN;
            } else {
                log.error("{} {} failed in the runner", store.kind().noun(), id, e);
                outcome = end(store, id, token, Work.Ending.as(JobState.FAILED, "internal error while running the "
                        + store.kind().noun() + ": " + e.getMessage()));
            }
        }
        executions.end(history, outcome.name, outcome.reason);
        return outcome.next;
    }

    /** Runs the worker under {@code start.token()}; returns how this execution ended. */
    private <J extends Executable, P> Outcome supervise(Work<J, P> work, J job, Work.Start start)
            throws IOException, InterruptedException, Work.CannotRunException {
        ExecutionStore<J> store = work.store();
        UUID id = start.id();
        String token = start.token();
        Work.Run<J> run = work.open(job, work.plan(job), start);
        Path taskFile = run.folder.resolve("task.json");
        Files.writeString(taskFile, WorkerJson.MAPPER.writeValueAsString(run.task));
        Path logFile = run.folder.resolve("worker.log");
        Pump<J> pump;
        int exit;
        try (WorkerProcess worker = WorkerProcess.start(taskFile, logFile, properties.workers(),
                run.task.ownModel() ? engine.ownModelSettings() : engine.settings(), start.slot(), run.task.ownModel())) {
            Running me = new Running(token, worker);
            running.put(id, me);
            try {
                if (shuttingDown) {
                    worker.close();
                }
                // read again now that cancel() can find this worker: a cancel stored since the job was read would
                // otherwise reach neither this check nor cancel()
                if (store.find(id).map(j -> j.execution().isCancelRequested()).orElse(true)) {
                    worker.cancel(properties.workers().cancelGraceSeconds());
                }
                pump = new Pump<>(store, run, id, token, worker);
                exit = worker.pump(pump::accept, logFile);
            } finally {
                running.remove(id, me);
            }
        }
        if (pump.fenced) {
            throw new FencedException(store.kind().noun(), id);
        }
        WorkerEvent.Finished finished = pump.finished;
        boolean cancelRequested = store.find(id).map(j -> j.execution().isCancelRequested()).orElse(false);
        if (shuttingDown && (finished == null || !finished.status().equals("SUCCEEDED")) && !cancelRequested) {
            log.info("{} {} interrupted by shutdown; it resumes from its checkpoint", store.kind().noun(), id);
            return Outcome.SHUTDOWN;
        }
        if (finished == null) {
            if (cancelRequested) {
                return end(store, id, token, Work.Ending.as(JobState.CANCELLED, "cancelled; the worker did not stop in time and was killed"));
            }
            if (exit == WorkerProcess.LEASE_EXPIRED) {
                store.checkFence(id, token);
                log.warn("{} {}: its worker stopped on its lease (this service was not heard from for {} s); it resumes from its"
                        + " last checkpoint", store.kind().noun(), id, SchedulerConfig.WORKER_LEASE_SECONDS);
                return Outcome.LEASE;
            }
            return end(store, id, token, Work.Ending.as(JobState.FAILED, "the worker process exited with code " + exit
                    + " without reporting a result (native crash or out of memory?); see its log, " + logFile));
        }
        store.checkFence(id, token);
        JobState state = JobState.valueOf(finished.status());
        return end(store, id, token, run.complete(state, state == JobState.SUCCEEDED ? null : finished.reason()));
    }

    /** Ends the job as {@code ending} says, if this execution still holds it. */
    private <J extends Executable> Outcome end(ExecutionStore<J> store, UUID id, String token, Work.Ending<J> ending) {
        String reason = Problems.withoutPaths(ending.reason(), properties.runsDir(), "runs", properties.dataDir(), "data-dir");
        try {
            store.updateFenced(id, token, row -> {
                ending.change().accept(row);
                row.execution().finish(ending.state(), reason, clock.instant());
            });
            return Outcome.ended(ending.state());
        } catch (FencedException e) {
            return Outcome.FENCED;
        }
    }

    /**
     * A job taken over inside this JVM (its scheduler entry was found dead while this instance was paused, and picked
     * again here): the earlier execution's worker is stopped before this one's starts in the same folder.
     */
    private void stopEarlierWorker(UUID id, String token) throws InterruptedException {
        Running earlier = running.get(id);
        if (earlier != null && !earlier.token().equals(token)) {
            log.warn("job {}: an earlier execution's worker still runs in this instance; stopping it", id);
            earlier.worker().close();
            earlier.worker().awaitExit();
        }
    }

    /** The worker's events, applied while this execution holds the job. */
    private final class Pump<J extends Executable> {
        private final ExecutionStore<J> store;
        private final Work.Run<J> run;
        private final UUID id;
        private final String token;
        private final WorkerProcess worker;
        private long lastWrite = Long.MIN_VALUE / 2;
        private boolean cancelSent;
        volatile boolean fenced;
        volatile WorkerEvent.Finished finished;

        Pump(ExecutionStore<J> store, Work.Run<J> run, UUID id, String token, WorkerProcess worker) {
            this.store = store;
            this.run = run;
            this.id = id;
            this.token = token;
            this.worker = worker;
        }

        void accept(WorkerEvent event) {
            if (fenced) {
                return;
            }
            try {
                if (event instanceof WorkerEvent.Finished f) {
                    finished = f;
                } else if (event instanceof WorkerEvent.Batch || event instanceof WorkerEvent.Progress) {
                    long now = clock.millis();
                    if (now - lastWrite >= PROGRESS_INTERVAL_MILLIS) {
                        lastWrite = now;
                        J row = store.updateFenced(id, token, r -> run.progress(r, event, clock.instant()));
                        // a cancel made through any instance is seen here
                        if (row.execution().isCancelRequested() && !cancelSent) {
                            cancelSent = true;
                            worker.cancel(properties.workers().cancelGraceSeconds());
                        }
                    }
                } else if (!(event instanceof WorkerEvent.Started)) {
                    run.handle(event);
                }
            } catch (FencedException e) {
                // another execution has the job now: stop this worker at once, and write nothing more
                fenced = true;
                worker.close();
            }
        }
    }

    /** How an execution ended, for its history row, and what its scheduler entry does next. */
    private record Outcome(String name, String reason, Next next) {
        static final Outcome FENCED = new Outcome("FENCED", "another execution took the job over; this one wrote nothing more",
                Next.DONE);
        static final Outcome LEASE = new Outcome("INTERRUPTED", "the worker stopped on its lease: the service was not heard from for "
                + SchedulerConfig.WORKER_LEASE_SECONDS + " s (paused or overloaded); the job resumes from its last checkpoint", Next.RESUME);
        static final Outcome SHUTDOWN = new Outcome("INTERRUPTED", "the service shut down; the job resumes from its last checkpoint",
                Next.RESUME);

        static Outcome ended(JobState state) {
            return new Outcome(state.name(), null, Next.DONE);
        }
    }
}
