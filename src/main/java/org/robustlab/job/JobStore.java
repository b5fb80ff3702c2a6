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

    private JobChanges changes;

    @org.springframework.beans.factory.annotation.Autowired
    void setChanges(JobChanges changes) {
        this.changes = changes;
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
                if (changes != null) {
                    changes.changed(id);
                }
                return saved;
            } catch (ObjectOptimisticLockingFailureException e) {
                if (attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    /**
     * As {@link #update}, but only while {@code token} is still the job's execution token: otherwise
     * {@link FencedException}, and nothing is written (the check and the write are one transaction, and the
     * row's version makes a concurrent take-over fail one of the two).
     */
    public TrainingJob updateFenced(UUID id, String token, Consumer<TrainingJob> change) {
        return update(id, job -> {
            if (!token.equals(job.getExecutionToken())) {
                throw new FencedException("training job", id);
            }
            change.accept(job);
        });
    }

    /** Throws {@link FencedException} unless {@code token} is still the job's execution token. */
    public void checkFence(UUID id, String token) {
        if (!token.equals(jobs.findById(id).map(TrainingJob::getExecutionToken).orElse(null))) {
            throw new FencedException("training job", id);
        }
    }

    /** The last epoch with recorded metrics (0 if none). */
    public int lastRecordedEpoch(UUID id) {
        return metrics.findByJob(id).stream().mapToInt(m -> m.toMetrics().epoch()).max().orElse(0);
    }

    /** Records an epoch's metrics, if {@code token} is still the job's execution token. */
    public void addEpochFenced(UUID id, String token, EpochMetrics m) {
        checkFence(id, token);
        addEpoch(id, m);
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

    /** Ends the job, if {@code token} is still its execution token. */
    public void finishFenced(UUID id, String token, JobState state, String reason) {
        updateFenced(id, token, job -> {
            job.setState(state);
            job.setFailureReason(reason);
            job.setFinishedAt(Instant.now());
        });
    }

    public void finish(UUID id, JobState state, String reason) {
        update(id, job -> {
            job.setState(state);
            job.setFailureReason(reason);
            job.setFinishedAt(Instant.now());
        });
    }
}
