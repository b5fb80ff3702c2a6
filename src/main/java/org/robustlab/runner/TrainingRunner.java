package org.robustlab.runner;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.robustlab.artifact.ArtifactStore;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.FencedException;
import org.robustlab.job.JobExecution;
import org.robustlab.job.JobState;
import org.robustlab.job.JobStore;
import org.robustlab.job.TrainingJob;
import org.robustlab.job.TrainingPlans;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Runs one training job in a worker process and writes what it hears to the database. Called by
 * the scheduler, also again after a crash or restart: the worker then resumes from the job's last
 * checkpoint, up to {@code robustlab.workers.max-attempts} starts.
 */
@Component
public class TrainingRunner {

    private static final Logger log = LoggerFactory.getLogger(TrainingRunner.class);
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private final JobStore store;
    private final ArtifactStore artifacts;
    private final RobustLabProperties properties;
    private final DevicePool devices;
    private final NativeEngine engine;
    private final ObjectMapper json;
    private final JobMetrics metrics;
    private final Map<UUID, WorkerProcess> running = new ConcurrentHashMap<>();
    private volatile boolean shuttingDown;

    private final CheckpointSync checkpoints;
    private final ExecutionLog executions;

    TrainingRunner(JobStore store, ArtifactStore artifacts, RobustLabProperties properties, DevicePool devices, NativeEngine engine,
            ObjectMapper json, JobMetrics metrics, CheckpointSync checkpoints, ExecutionLog executions) {
        this.checkpoints = checkpoints;
        this.executions = executions;
        this.engine = engine;
        this.metrics = metrics;
        this.store = store;
        this.artifacts = artifacts;
        this.properties = properties;
        this.devices = devices;
        this.json = json;
    }

    /**
     * On shutdown the workers are stopped and their jobs stay RUNNING in the database: the next start
     * (of this or another instance) resumes them from their last checkpoint.
     */
    @jakarta.annotation.PreDestroy
    void shutdown() {
        shuttingDown = true;
        running.values().forEach(WorkerProcess::close);
    }

    /** Asks a job's worker on this instance to stop after its batch; a no-op if it runs elsewhere (it polls the flag). */
    public void cancel(UUID id) {
        WorkerProcess worker = running.get(id);
        if (worker != null) {
            worker.cancel(properties.workers().cancelGraceSeconds());
        }
    }

    public void run(UUID id) throws InterruptedException {
        TrainingJob job = store.find(id).orElse(null);
        if (job == null || job.isTerminal()) {
            return;
        }
        if (job.getAttempts() >= properties.workers().maxAttempts()) {
            store.finish(id, JobState.FAILED, "the job was interrupted " + job.getAttempts()
                    + " times (crash or restart) and has reached robustlab.workers.max-attempts");
            return;
        }
        DevicePool.Holder holder = new DevicePool.Holder("training", id, job.getModel());
        DevicePool.Slot slot;
        try {
            slot = devices.acquire(DevicePool.Request.fromId(json.readValue(job.getRequestJson(), CreateTrainingJobRequest.class).device()),
                    holder);
        } catch (IllegalArgumentException e) {
            store.finish(id, JobState.FAILED, e.getMessage());
            return;
        }
        try {
            execute(id, slot);
        } catch (IOException | RuntimeException e) {
            log.error("training job {} failed in the runner", id, e);
            store.finish(id, JobState.FAILED, reason("internal error while running the job: " + e.getMessage()));
        } finally {
            devices.release(slot, holder);
        }
    }

    private void execute(UUID id, DevicePool.Slot slot) throws IOException, InterruptedException {
        String token = UUID.randomUUID().toString();
        TrainingJob job = store.update(id, j -> {
            j.setState(JobState.RUNNING);
            j.setAttempts(j.getAttempts() + 1);
            j.setDevice(slot.label());
            j.setExecutionToken(token);
            if (j.getStartedAt() == null) {
                j.setStartedAt(Instant.now());
            }
        });
        JobExecution execution = executions.start(id, "training", job.getAttempts(), properties.instanceName(), token);
        String end = "FAILED";
        try {
            end = execute(id, slot, job, token, execution);
        } catch (FencedException e) {
            end = "FENCED";
            log.warn("training job {}: {}", id, e.getMessage());
        } catch (IOException | RuntimeException e) {
            if (shuttingDown) {
                // the shutdown stopped the worker while its output was read (the JDK may then say "Stream closed"):
                // as any job a shutdown interrupts, it stays RUNNING and resumes from its checkpoint on the next start
                log.info("training job {} interrupted by shutdown ({}); it resumes from its checkpoint on the next start", id, e.toString());
                end = "INTERRUPTED";
            } else {
                log.error("training job {} failed in the runner", id, e);
                try {
                    store.finishFenced(id, token, JobState.FAILED, reason("internal error while running the job: " + e.getMessage()));
                } catch (FencedException superseded) {
                    end = "FENCED";
                }
            }
        } finally {
            executions.end(execution, end);
        }
    }

    /** Runs the worker under {@code token}; returns how this execution ended (for the history). */
    private String execute(UUID id, DevicePool.Slot slot, TrainingJob job, String token, JobExecution execution)
            throws IOException, InterruptedException {
        TrainingPlan plan = TrainingPlans.from(json.readValue(job.getRequestJson(), CreateTrainingJobRequest.class));
        Path runDir = properties.runsDir().resolve("jobs").resolve(id.toString()).toAbsolutePath();
        Files.createDirectories(runDir);
        // a job resumed here after another instance died: its checkpoints come from the store
        int from = checkpoints.restore(id, TrainingLoop.LAST, runDir.resolve(TrainingLoop.LAST));
        checkpoints.restore(id, TrainingLoop.BEST, runDir.resolve(TrainingLoop.BEST));
        // a rung of successive halving starts from the previous rung's checkpoints (its own, once it has any)
        int first = 0;
        if (job.getContinuesJob() != null) {
            first = store.lastRecordedEpoch(job.getContinuesJob());
            if (from == 0) {
                Path runs = properties.runsDir().toAbsolutePath();
                from = checkpoints.continueFrom(job.getContinuesJob(), TrainingLoop.LAST, runDir.resolve(TrainingLoop.LAST), runs);
                checkpoints.continueFrom(job.getContinuesJob(), TrainingLoop.BEST, runDir.resolve(TrainingLoop.BEST), runs);
                if (from == 0) {
                    store.finishFenced(id, token, JobState.FAILED, "job " + job.getContinuesJob() + ", which this job continues,"
                            + " has no checkpoint in the artifact store");
                    return "FAILED";
                }
            }
        }
        int firstEpoch = first;
        if (job.getAttempts() > 1) {
            int redone = Math.max(0, store.lastRecordedEpoch(id) - from);
            executions.resumed(execution, from, redone);
            log.info("training job {} resumes on {} from epoch {} ({} epoch(s) to redo)", id, properties.instanceName(), from, redone);
        }
        Path taskFile = runDir.resolve("task.json");
        Files.writeString(taskFile, GSON.toJson(new WorkerTask("train", plan, runDir.toString(),
                properties.dataDir().toAbsolutePath().toString(), properties.downloadDatasets(), slot.workerDevice(), null,
                SchedulerConfig.WORKER_LEASE_SECONDS, job.getStopAfterEpochs() == null ? 0 : job.getStopAfterEpochs())));
        Path logFile = runDir.resolve("worker.log");
        String[] outcome = {null, null};
        long[] lastWrite = {0};
        boolean[] fenced = {false};
        try (WorkerProcess worker = WorkerProcess.start(taskFile, logFile, properties.workers(), engine.settings(), slot)) {
            running.put(id, worker);
            if (job.isCancelRequested()) {
                worker.cancel(properties.workers().cancelGraceSeconds());
            }
            int exit = worker.pump(event -> {
                if (fenced[0]) {
                    return;
                }
                String type = event.get("type").getAsString();
                JsonObject data = event.getAsJsonObject("data");
                try {
                    switch (type) {
                        case "batch" -> {
                            long now = System.currentTimeMillis();
                            if (now - lastWrite[0] >= 500) {
                                lastWrite[0] = now;
                                TrainingJob updated = store.updateFenced(id, token, j -> j.setProgress(data.get("epoch").getAsInt(),
                                        data.get("batch").getAsInt(), data.get("batches").getAsInt(),
                                        ((data.get("epoch").getAsInt() - 1 - firstEpoch) + data.get("batch").getAsDouble() / data.get("batches").getAsInt())
                                                / (data.get("epochs").getAsInt() - firstEpoch), Instant.now()));
                                if (updated.isCancelRequested()) {
                                    worker.cancel(properties.workers().cancelGraceSeconds());
                                }
                            }
                        }
                        case "epoch" -> {
                            EpochMetrics m = GSON.fromJson(data, EpochMetrics.class);
                            store.addEpochFenced(id, token, m);
                            metrics.recordEpoch(m.imagesPerSecond());
                        }
                        case "checkpoint" -> {
                            Path dir = Path.of(data.get("directory").getAsString());
                            String kind = data.get("best").getAsBoolean() ? TrainingLoop.BEST : TrainingLoop.LAST;
                            try {
                                checkpoints.publish(id, kind, dir, data.get("epoch").getAsInt(), token, () -> store.checkFence(id, token));
                            } catch (IOException e) {
                                // training goes on; a failover would resume from the previous checkpoint in the store
                                log.warn("training job {}: the {} checkpoint of epoch {} could not be stored: {}", id, kind,
                                        data.get("epoch").getAsInt(), e.getMessage());
                            }
                        }
                        case "finished" -> {
                            outcome[0] = data.get("status").getAsString();
                            outcome[1] = data.has("reason") && !data.get("reason").isJsonNull() ? data.get("reason").getAsString() : null;
                        }
                        default -> { }
                    }
                } catch (FencedException e) {
                    // another instance has the job now: stop this worker at once, and write nothing more
                    fenced[0] = true;
                    worker.close();
                }
            }, logFile);
            if (fenced[0]) {
                throw new FencedException("training job", id);
            }
            if (outcome[0] == null && !shuttingDown) {
                TrainingJob now = store.find(id).orElseThrow();
                if (now.isCancelRequested()) {
                    outcome[0] = "CANCELLED";
                    outcome[1] = "cancelled; the worker did not stop in time and was killed";
                } else {
                    outcome[0] = "FAILED";
                    outcome[1] = exit == WorkerProcess.LEASE_EXPIRED
                            ? "the worker stopped because it had not heard from the service for " + SchedulerConfig.WORKER_LEASE_SECONDS
                                    + " s (was the service paused or overloaded?); see its log, " + logFile
                            : "the worker process exited with code " + exit + " without reporting a result"
                                    + " (native crash or out of memory?); see its log, " + logFile;
                }
            }
        } finally {
            running.remove(id);
        }
        if (shuttingDown && !"SUCCEEDED".equals(outcome[0])) {
            log.info("training job {} interrupted by shutdown; it resumes from its checkpoint on the next start", id);
            return "INTERRUPTED";
        }
        JobState state = JobState.valueOf(outcome[0]);
        store.checkFence(id, token);
        registerModels(id, runDir, job, plan);
        if (state == JobState.SUCCEEDED) {
            store.updateFenced(id, token, j -> j.setProgress(plan.epochs(), j.getBatches(), j.getBatches(), 1.0, Instant.now()));
        }
        store.finishFenced(id, token, state, state == JobState.SUCCEEDED ? null : reason(outcome[1]));
        return state.name();
    }

    /** A failure reason for clients: server folders named by their setting (runs, data-dir), never as paths. */
    private String reason(String message) {
        return org.robustlab.config.Problems.withoutPaths(message, properties.runsDir(), "runs", properties.dataDir(), "data-dir");
    }

    private void registerModels(UUID id, Path runDir, TrainingJob job, TrainingPlan plan) throws IOException {
        String hyper = job.getRequestJson();
        artifacts.register(id, runDir.resolve(TrainingLoop.LAST), "last", plan.architecture().id(), plan.dataset().id(),
                plan.method().method().id(), hyper, job.getOwner());
        artifacts.register(id, runDir.resolve(TrainingLoop.BEST), "best-robust", plan.architecture().id(),
                plan.dataset().id(), plan.method().method().id(), hyper, job.getOwner());
    }
}
