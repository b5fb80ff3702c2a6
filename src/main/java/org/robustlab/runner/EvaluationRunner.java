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
import org.robustlab.artifact.CorruptedArtifactException;
import org.robustlab.job.FencedException;
import org.robustlab.job.JobExecution;
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

    private final ArtifactStore artifacts;
    private final ExecutionLog executions;

    EvaluationRunner(EvaluationJobRepository evaluations, ModelArtifactRepository models, RobustLabProperties properties,
            DevicePool devices, NativeEngine engine, EvaluationPlans plans, ArtifactStore artifacts, ExecutionLog executions) {
        this.artifacts = artifacts;
        this.executions = executions;
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
        String token = UUID.randomUUID().toString();
        EvaluationJob job = evaluations.findById(id).orElseThrow();
        job.setState(JobState.RUNNING);
        job.setAttempts(job.getAttempts() + 1);
        job.setDevice(slot.label());
        job.setExecutionToken(token);
        job.setStartedAt(Instant.now());
        job = evaluations.saveAndFlush(job);
        JobExecution execution = executions.start(id, "evaluation", job.getAttempts(), properties.instanceName(), token);
        String end = "FAILED";
        try {
            end = execute(id, slot, job, token);
        } catch (FencedException e) {
            end = "FENCED";
            log.warn("evaluation {}: {}", id, e.getMessage());
        } catch (CorruptedArtifactException e) {
            end = finishFenced(id, token, JobState.FAILED, e.getMessage(), null);
        } catch (IOException | RuntimeException e) {
            if (shuttingDown && !cancelRequested.contains(id)) {
                // stopped by the shutdown while its output was read: it stays RUNNING and runs again on the next start
                log.info("evaluation {} interrupted by shutdown ({}); it runs again on the next start", id, e.toString());
                end = "INTERRUPTED";
            } else {
                log.error("evaluation {} failed in the runner", id, e);
                end = finishFenced(id, token, JobState.FAILED, "internal error while running the evaluation: " + e.getMessage(), null);
            }
        } finally {
            executions.end(execution, end);
        }
    }

    private String execute(UUID id, DevicePool.Slot slot, EvaluationJob job, String token) throws IOException, InterruptedException {
        ModelArtifact model = models.findById(job.getModelId()).orElseThrow();
        Path dir = properties.runsDir().resolve("evaluations").resolve(id.toString()).toAbsolutePath();
        Files.createDirectories(dir);
        Path report = dir.resolve("report.json");
        Files.deleteIfExists(report);
        // the model and any surrogate, from the store, checked against their SHA-256
        WorkerTask.EvaluationTask task = plans.task(job, model, dir, artifacts::localFolder);
        Path taskFile = dir.resolve("task.json");
        Files.writeString(taskFile, GSON.toJson(new WorkerTask("evaluate", null, dir.toString(),
                properties.dataDir().toAbsolutePath().toString(), properties.downloadDatasets(), slot.workerDevice(), task,
                SchedulerConfig.WORKER_LEASE_SECONDS, 0)));
        Path logFile = dir.resolve("worker.log");
        String[] outcome = {null, null};
        long[] lastWrite = {0};
        boolean[] fenced = {false};
        boolean[] cancelled = {job.isCancelRequested()};
        int exit;
        try (WorkerProcess worker = WorkerProcess.start(taskFile, logFile, properties.workers(), engine.settings(), slot)) {
            running.put(id, worker);
            if (cancelled[0] || cancelRequested.contains(id)) {
                cancelled[0] = true;
                worker.cancel(properties.workers().cancelGraceSeconds());
            }
            exit = worker.pump(event -> {
                if (fenced[0]) {
                    return;
                }
                JsonObject data = event.getAsJsonObject("data");
                switch (event.get("type").getAsString()) {
                    case "progress" -> {
                        long now = System.currentTimeMillis();
                        if (now - lastWrite[0] >= 500) {
                            lastWrite[0] = now;
                            double pct = 100.0 * data.get("done").getAsInt() / data.get("total").getAsInt();
                            EvaluationJob e = evaluations.findById(id).orElse(null);
                            if (e == null || !token.equals(e.getExecutionToken())) {
                                fenced[0] = true;
                                worker.close();
                                return;
                            }
                            // a cancel made through any instance is seen here
                            if (e.isCancelRequested() && !cancelled[0]) {
                                cancelled[0] = true;
                                worker.cancel(properties.workers().cancelGraceSeconds());
                            }
                            e.setPercent(pct);
                            try {
                                evaluations.saveAndFlush(e);
                            } catch (org.springframework.orm.ObjectOptimisticLockingFailureException raced) {
                                // a cancel or a take-over wrote the row meanwhile; the next progress event sees it
                            }
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
        if (fenced[0]) {
            throw new FencedException("evaluation", id);
        }
        boolean wasCancelled = cancelRequested.remove(id) || cancelled[0]
                || evaluations.findById(id).map(EvaluationJob::isCancelRequested).orElse(false);
        if (shuttingDown && !"SUCCEEDED".equals(outcome[0]) && !wasCancelled) {
            return "INTERRUPTED";
        }
        if (wasCancelled && outcome[0] == null) {
            return finishFenced(id, token, JobState.CANCELLED, "cancelled; the worker did not stop in time and was killed", null);
        }
        if ("SUCCEEDED".equals(outcome[0]) && Files.isRegularFile(report)) {
            storePlots(id, dir.resolve("plots"));
            return finishFenced(id, token, JobState.SUCCEEDED, null, Files.readString(report));
        } else if (outcome[0] != null) {
            return finishFenced(id, token, JobState.valueOf(outcome[0]), outcome[1], null);
        } else {
            return finishFenced(id, token, JobState.FAILED, exit == WorkerProcess.LEASE_EXPIRED
                    ? "the worker stopped because it had not heard from the service for " + SchedulerConfig.WORKER_LEASE_SECONDS + " s"
                    : "the worker process exited with code " + exit + " without a report; see " + logFile, null);
        }
    }

    /** The report's pictures go to the store (unless the store is the runs folder, where they already are). */
    private void storePlots(UUID id, Path plots) throws IOException {
        if (artifacts.storeIsRunsDir() || !Files.isDirectory(plots)) {
            return;
        }
        try (var files = Files.list(plots)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".png")).toList()) {
                artifacts.store().put("evaluations/" + id + "/plots/" + f.getFileName(), f);
            }
        }
    }

    /** Ends the evaluation if this execution still holds it; returns the outcome for the history. */
    private String finishFenced(UUID id, String token, JobState state, String reason, String report) {
        EvaluationJob e = evaluations.findById(id).orElse(null);
        if (e == null || !token.equals(e.getExecutionToken())) {
            return "FENCED";
        }
        finish(id, state, reason, report);
        return state.name();
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
