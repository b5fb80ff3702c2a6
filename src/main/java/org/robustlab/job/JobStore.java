package org.robustlab.job;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.robustlab.ml.training.EpochMetrics;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.ObjectMapper;

/**
 * Short transactions on training jobs for the runner and the API, each retried on an optimistic-lock
 * conflict (the API's cancel and the runner's progress can touch one row at once).
 */
@Component
public class JobStore {

    private final TrainingJobRepository jobs;
    private final EpochMetricRepository metrics;
    private final TransactionTemplate tx;
    private final ObjectMapper json;
    private final JobViewCache views;

    JobStore(TrainingJobRepository jobs, EpochMetricRepository metrics, TransactionTemplate tx, ObjectMapper json, JobViewCache views) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.tx = tx;
        this.json = json;
        this.views = views;
    }

    public Optional<TrainingJob> find(UUID id) {
        return jobs.findById(id);
    }

    /** Applies {@code change} to the job in its own transaction; returns the saved job. */
    public TrainingJob update(UUID id, Consumer<TrainingJob> change) {
        for (int attempt = 0; ; attempt++) {
            try {
                TrainingJob saved = tx.execute(status -> {
                    TrainingJob job = jobs.findById(id).orElseThrow(() -> JobNotFoundException.forId("training job", id));
                    change.accept(job);
                    return jobs.saveAndFlush(job);
                });
                views.evict(id);
                return saved;
            } catch (ObjectOptimisticLockingFailureException e) {
                if (attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    public void addEpoch(UUID id, EpochMetrics m) {
        tx.executeWithoutResult(status -> {
            EpochMetric.Key key = new EpochMetric.Key(id, m.epoch());
            metrics.findById(key).ifPresent(metrics::delete);
            metrics.flush();
            metrics.save(new EpochMetric(id, m));
        });
        update(id, job -> job.setLatestMetrics(json.writeValueAsString(m)));
    }

    public void finish(UUID id, JobState state, String reason) {
        update(id, job -> {
            job.setState(state);
            job.setFailureReason(reason);
            job.setFinishedAt(Instant.now());
        });
    }
}
