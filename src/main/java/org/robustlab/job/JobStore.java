package org.robustlab.job;

import java.time.Clock;
import java.util.UUID;
import org.robustlab.execution.ExecutionStore;
import org.robustlab.execution.JobKind;
import org.robustlab.ml.training.EpochMetrics;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.ObjectMapper;

/**
 * Short transactions on training jobs for the runner and the API ({@link ExecutionStore}); every write drops the
 * job's cached view and tells the other instances.
 */
@Component
public class JobStore extends ExecutionStore<TrainingJob> {

    private final EpochMetricRepository metrics;
    private final ObjectMapper json;
    private final JobViewCache views;
    private final JobChanges changes;

    JobStore(TrainingJobRepository jobs, EpochMetricRepository metrics, TransactionTemplate tx, ObjectMapper json, JobViewCache views,
            JobChanges changes, Clock clock) {
        super(JobKind.TRAINING, jobs, tx, clock);
        this.metrics = metrics;
        this.json = json;
        this.views = views;
        this.changes = changes;
    }

    @Override
    protected void changed(UUID id) {
        views.evict(id);
        changes.changed(id);
    }

    /** The last epoch with recorded metrics (0 if none). */
    public int lastRecordedEpoch(UUID id) {
        return metrics.findByJob(id).stream().mapToInt(m -> m.toMetrics().epoch()).max().orElse(0);
    }

    /**
     * Records an epoch's metrics if {@code token} still holds the job: the epoch's row (replacing one of an earlier
     * execution that got as far) and the job's latest metrics, in one transaction.
     */
    public void addEpochFenced(UUID id, String token, EpochMetrics m) {
        String latest = json.writeValueAsString(m);
        updateFenced(id, token, job -> {
            EpochMetric.Key key = new EpochMetric.Key(id, m.epoch());
            metrics.findById(key).ifPresent(metrics::delete);
            metrics.flush();
            metrics.save(new EpochMetric(id, m));
            job.setLatestMetrics(latest);
        });
    }
}
