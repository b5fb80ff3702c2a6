package org.robustlab.runner;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.robustlab.evaluation.EvaluationJobRepository;
import org.robustlab.execution.JobState;
import org.robustlab.job.TrainingJobRepository;
import org.springframework.stereotype.Component;

/**
 * Prometheus metrics: {@code robustlab_jobs{kind,state}} (read from the database at each scrape) and
 * {@code robustlab_training_throughput_images_per_second} (one sample per finished epoch).
 */
@Component
public class JobMetrics implements MeterBinder {

    private final TrainingJobRepository jobs;
    private final EvaluationJobRepository evaluations;
    private DistributionSummary throughput;

    JobMetrics(TrainingJobRepository jobs, EvaluationJobRepository evaluations) {
        this.jobs = jobs;
        this.evaluations = evaluations;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (JobState state : JobState.values()) {
            Gauge.builder("robustlab.jobs", jobs, r -> r.countByExecutionState(state))
                    .tag("kind", "training").tag("state", state.name()).description("training jobs by state").register(registry);
            Gauge.builder("robustlab.jobs", evaluations, r -> r.countByExecutionState(state))
                    .tag("kind", "evaluation").tag("state", state.name()).description("evaluations by state").register(registry);
        }
        throughput = DistributionSummary.builder("robustlab.training.throughput")
                .baseUnit("images_per_second").description("training throughput of each finished epoch").register(registry);
    }

    void recordEpoch(double imagesPerSecond) {
        if (throughput != null) {
            throughput.record(imagesPerSecond);
        }
    }
}
