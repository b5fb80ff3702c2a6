package org.robustlab.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.artifact.ArtifactStore;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.execution.ExecutionLog;
import org.robustlab.execution.JobState;
import org.robustlab.job.JobStore;
import org.robustlab.job.TrainingJob;
import org.robustlab.job.TrainingJobPlan;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.worker.WorkerEvent;
import org.robustlab.worker.WorkerTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * A training job under the supervisor: its worker trains from the job's plan, resuming from its last checkpoint
 * (from the artifact store when it ran elsewhere before, or from the previous rung's for successive halving); each
 * epoch's metrics and checkpoints are kept as they come; at the end its last and best-robust models are registered.
 */
@Component
class TrainingWork extends Work<TrainingJob, TrainingJobPlan> {

    private static final Logger log = LoggerFactory.getLogger(TrainingWork.class);

    private final JobStore store;
    private final ArtifactStore artifacts;
    private final CheckpointSync checkpoints;
    private final ExecutionLog executions;
    private final JobMetrics metrics;
    private final RobustLabProperties properties;
    private final Clock clock;

    TrainingWork(JobStore store, ArtifactStore artifacts, CheckpointSync checkpoints, ExecutionLog executions, JobMetrics metrics,
            RobustLabProperties properties, ObjectMapper json, Clock clock) {
        super(store, json, TrainingJobPlan.class);
        this.store = store;
        this.artifacts = artifacts;
        this.checkpoints = checkpoints;
        this.executions = executions;
        this.metrics = metrics;
        this.properties = properties;
        this.clock = clock;
    }

    @Override
    String device(TrainingJobPlan plan) {
        return plan.device();
    }

    @Override
    String architecture(TrainingJob job) {
        return job.getModel();
    }

    @Override
    Run<TrainingJob> open(TrainingJob job, TrainingJobPlan plan, Start start) throws IOException, CannotRunException {
        UUID id = start.id();
        Path runDir = properties.runsDir().resolve("jobs").resolve(id.toString()).toAbsolutePath();
        Files.createDirectories(runDir);
        // a job resumed here after it ran on another instance: its checkpoints come from the store
        int from = checkpoints.restore(id, TrainingLoop.LAST, runDir.resolve(TrainingLoop.LAST));
        checkpoints.restore(id, TrainingLoop.BEST, runDir.resolve(TrainingLoop.BEST));
        // a rung of successive halving starts from the previous rung's checkpoints (its own, once it has any)
        int first = 0;
        UUID previous = job.getContinuesJob();
        if (previous != null) {
            first = store.lastRecordedEpoch(previous);
            if (from == 0) {
                Path runs = properties.runsDir().toAbsolutePath();
                from = checkpoints.continueFrom(previous, TrainingLoop.LAST, runDir.resolve(TrainingLoop.LAST), runs);
                checkpoints.continueFrom(previous, TrainingLoop.BEST, runDir.resolve(TrainingLoop.BEST), runs);
                if (from == 0) {
                    throw new CannotRunException("job " + previous + ", which this job continues, has no checkpoint in the artifact store");
                }
            }
        }
        if (job.execution().getAttempts() > 1) {
            int redone = Math.max(0, store.lastRecordedEpoch(id) - from);
            executions.resumed(start.history(), from, redone);
            log.info("training job {} resumes on {} from epoch {} ({} epoch(s) to redo)", id, properties.instanceName(), from, redone);
        }
        WorkerTask task = new WorkerTask("train", plan.training(), runDir.toString(), properties.dataDir().toAbsolutePath().toString(),
                properties.downloadDatasets(), start.slot().workerDevice(), null, SchedulerConfig.WORKER_LEASE_SECONDS,
                job.getStopAfterEpochs() == null ? 0 : job.getStopAfterEpochs());
        return new TrainingRun(job, plan, runDir, task, start.token(), first);
    }

    private final class TrainingRun extends Run<TrainingJob> {
        private final TrainingJob job;
        private final TrainingJobPlan plan;
        private final String token;
        /** The epoch this job starts counting from (a rung of successive halving continues an earlier job's). */
        private final int firstEpoch;

        TrainingRun(TrainingJob job, TrainingJobPlan plan, Path runDir, WorkerTask task, String token, int firstEpoch) {
            super(task, runDir);
            this.job = job;
            this.plan = plan;
            this.token = token;
            this.firstEpoch = firstEpoch;
        }

        @Override
        void progress(TrainingJob row, WorkerEvent event, Instant now) {
            WorkerEvent.Batch b = (WorkerEvent.Batch) event;
            double fraction = ((b.epoch() - 1 - firstEpoch) + (double) b.batch() / b.batches()) / (b.epochs() - firstEpoch);
            row.setProgress(b.epoch(), b.batch(), b.batches(), fraction, now);
        }

        @Override
        void handle(WorkerEvent event) {
            UUID id = job.getId();
            if (event instanceof WorkerEvent.Epoch e) {
                store.addEpochFenced(id, token, e.metrics());
                metrics.recordEpoch(e.metrics().imagesPerSecond());
            } else if (event instanceof WorkerEvent.Checkpoint c) {
                String kind = c.best() ? TrainingLoop.BEST : TrainingLoop.LAST;
                try {
                    checkpoints.publish(id, kind, Path.of(c.directory()), c.epoch(), token, () -> store.checkFence(id, token));
                } catch (IOException e) {
                    // training goes on; a failover would resume from the previous checkpoint in the store
                    log.warn("training job {}: the {} checkpoint of epoch {} could not be stored: {}", id, kind, c.epoch(), e.getMessage());
                }
            }
        }

        @Override
        Ending<TrainingJob> complete(JobState state, String reason) throws IOException {
            String method = plan.training().method().method().id();
            String architecture = plan.training().architecture().id();
            String dataset = plan.training().dataset().id();
            artifacts.register(job.getId(), folder.resolve(TrainingLoop.LAST), "last", architecture, dataset, method,
                    job.getRequestJson(), job.getOwner());
            artifacts.register(job.getId(), folder.resolve(TrainingLoop.BEST), "best-robust", architecture, dataset, method,
                    job.getRequestJson(), job.getOwner());
            return new Ending<>(state, reason, row -> {
                if (state == JobState.SUCCEEDED) {
                    row.setProgress(plan.training().epochs(), row.getBatches(), row.getBatches(), 1.0, clock.instant());
                }
            });
        }
    }
}
