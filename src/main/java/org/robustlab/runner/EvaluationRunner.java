package org.robustlab.runner;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.artifact.ArtifactStore;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.evaluation.EvaluationJob;
import org.robustlab.evaluation.EvaluationJobRepository;
import org.robustlab.evaluation.EvaluationPlans;
import org.robustlab.job.JobState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/** Runs one evaluation in a worker process and stores its report. */
@Component
public class EvaluationRunner {

    private static final Logger log = LoggerFactory.getLogger(EvaluationRunner.class);
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private final EvaluationJobRepository evaluations;
    private final ModelArtifactRepository models;
    private final RobustLabProperties properties;
    private final DevicePool devices;
    private final NativeEngine engine;
    private final EvaluationPlans plans;
    private final java.util.Map<UUID, WorkerProcess> running = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Set<UUID> cancelRequested = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean shuttingDown;

    EvaluationRunner(EvaluationJobRepository evaluations, ModelArtifactRepository models, RobustLabProperties properties,
            DevicePool devices, NativeEngine engine, EvaluationPlans plans) {
        this.engine = engine;
        this.evaluations = evaluations;
        this.models = models;
        this.properties = properties;
        this.devices = devices;
        this.plans = plans;
    }

    /** On shutdown, workers stop and their evaluations stay RUNNING, to be run again on the next start. */
    @jakarta.annotation.PreDestroy
    void shutdown() {
        shuttingDown = true;
        running.values().forEach(WorkerProcess::close);
    }

    /**
     * Asks an evaluation's worker on this instance to stop at its next batch (at once if it is still
     * starting); it is killed if it has not stopped after the grace period. Returns false if no worker
     * of this instance runs it yet.
     */
    public boolean cancel(UUID id) {
        // Recorded first: a worker that is starting right now checks the set once it is registered.
        cancelRequested.add(id);
        WorkerProcess worker = running.get(id);
        if (worker == null) {
            return false;
        }
        worker.cancel(properties.workers().cancelGraceSeconds());
        return true;
    }

    public void run(UUID id) throws InterruptedException {
        EvaluationJob job = evaluations.findById(id).orElse(null);
        if (job == null || job.getState().isTerminal()) {
            return;
        }
        if (job.getAttempts() >= properties.workers().maxAttempts()) {
            finish(id, JobState.FAILED, "interrupted " + job.getAttempts() + " times; reached robustlab.workers.max-attempts", null);
            return;
        }
        ModelArtifact model = models.findById(job.getModelId()).orElse(null);
        DevicePool.Holder holder = new DevicePool.Holder("evaluation", id, model == null ? null : model.getArchitecture());
        DevicePool.Slot slot;
        try {
            slot = devices.acquire(DevicePool.Request.fromId(plans.request(job).device()), holder);
        } catch (IllegalArgumentException e) {
            finish(id, JobState.FAILED, e.getMessage(), null);
            return;
        }
        try {
            execute(id, slot);
        } catch (IOException | RuntimeException e) {
            log.error("evaluation {} failed in the runner", id, e);
            finish(id, JobState.FAILED, "internal error while running the evaluation: " + e.getMessage(), null);
        } finally {
            devices.release(slot, holder);
        }
    }

    private void execute(UUID id, DevicePool.Slot slot) throws IOException, InterruptedException {
        EvaluationJob job = evaluations.findById(id).orElseThrow();
        job.setState(JobState.RUNNING);
        job.setAttempts(job.getAttempts() + 1);
        job.setDevice(slot.label());
        job.setStartedAt(Instant.now());
        job = evaluations.saveAndFlush(job);
        ModelArtifact model = models.findById(job.getModelId()).orElseThrow();
        if (!ArtifactStore.intact(model.djl())) {
            finish(id, JobState.FAILED, "the model's parameter file " + model.djl().path()
                    + " is missing or does not match its recorded SHA-256; it is corrupted", null);
            return;
        }
        Path dir = properties.runsDir().resolve("evaluations").resolve(id.toString()).toAbsolutePath();
        Files.createDirectories(dir);
        Path report = dir.resolve("report.json");
        WorkerTask.EvaluationTask task = plans.task(job, model, dir);
        Path taskFile = dir.resolve("task.json");
        Files.writeString(taskFile, GSON.toJson(new WorkerTask("evaluate", null, dir.toString(),
                properties.dataDir().toAbsolutePath().toString(), properties.downloadDatasets(), slot.workerDevice(), task)));
        Path logFile = dir.resolve("worker.log");
        String[] outcome = {null, null};
        long[] lastWrite = {0};
        int exit;
        try (WorkerProcess worker = WorkerProcess.start(taskFile, logFile, properties.workers(), engine.settings(), slot)) {
            running.put(id, worker);
            if (cancelRequested.contains(id)) {
                worker.cancel(properties.workers().cancelGraceSeconds());
            }
            exit = worker.pump(event -> {
                JsonObject data = event.getAsJsonObject("data");
                switch (event.get("type").getAsString()) {
                    case "progress" -> {
                        long now = System.currentTimeMillis();
                        if (now - lastWrite[0] >= 500) {
                            lastWrite[0] = now;
                            double pct = 100.0 * data.get("done").getAsInt() / data.get("total").getAsInt();
                            evaluations.findById(id).ifPresent(e -> {
                                e.setPercent(pct);
                                evaluations.saveAndFlush(e);
                            });
                        }
                    }
                    case "finished" -> {
                        outcome[0] = data.get("status").getAsString();
                        outcome[1] = data.has("reason") ? data.get("reason").getAsString() : null;
                    }
                    default -> { }
                }
            }, logFile);
        } finally {
            running.remove(id);
        }
        boolean cancelled = cancelRequested.remove(id);
        if (shuttingDown && !"SUCCEEDED".equals(outcome[0]) && !cancelled) {
            return;
        }
        if (cancelled && outcome[0] == null) {
            finish(id, JobState.CANCELLED, "cancelled; the worker did not stop in time and was killed", null);
            return;
        }
        if ("SUCCEEDED".equals(outcome[0]) && Files.isRegularFile(report)) {
            finish(id, JobState.SUCCEEDED, null, Files.readString(report));
        } else if (outcome[0] != null) {
            finish(id, JobState.valueOf(outcome[0]), outcome[1], null);
        } else {
            finish(id, JobState.FAILED, "the worker process exited with code " + exit + " without a report; see " + logFile, null);
        }
    }

    private void finish(UUID id, JobState state, String reason, String report) {
        String safeReason = org.robustlab.config.Problems.withoutPaths(reason, properties.runsDir(), "runs", properties.dataDir(), "data-dir");
        evaluations.findById(id).ifPresent(e -> {
            e.setState(state);
            e.setFailureReason(safeReason);
            e.setReportJson(report);
            if (state == JobState.SUCCEEDED) {
                e.setPercent(100);
            }
            e.setFinishedAt(Instant.now());
            evaluations.saveAndFlush(e);
        });
    }
}
