package org.robustlab.job;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.Embedded;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import org.robustlab.execution.Executable;
import org.robustlab.execution.Execution;

/** A training job as stored; its request is kept as the JSON the client sent, normalised. */
@Entity
@Table(name = "training_job")
public class TrainingJob implements Executable {

    @Id
    private UUID id;
    private String name;
    private String method;
    private String dataset;
    private String model;
    @Column(name = "request_json")
    private String requestJson;
    private int epoch;
    private int epochs;
    private int batch;
    private int batches;
    @Column(name = "eta_seconds")
    private Double etaSeconds;
    @Column(name = "latest_metrics")
    private String latestMetrics;
    private String owner;
    @Column(name = "continues_job")
    private UUID continuesJob;
    @Column(name = "stop_after_epochs")
    private Integer stopAfterEpochs;
    @Embedded
    private Execution execution;
    @Column(name = "plan_json")
    private String planJson;
    @Version
    private long version;

    @ElementCollection(fetch = FetchType.EAGER)
    @CollectionTable(name = "training_job_tag", joinColumns = @JoinColumn(name = "job_id"))
    @Column(name = "tag")
    private Set<String> tags = new LinkedHashSet<>();

    protected TrainingJob() {}

    public TrainingJob(UUID id, String name, String method, String dataset, String model, int epochs, String requestJson,
            String planJson, Set<String> tags, Instant createdAt) {
        this.id = id;
        this.name = name;
        this.method = method;
        this.dataset = dataset;
        this.model = model;
        this.epochs = epochs;
        this.requestJson = requestJson;
        this.planJson = planJson;
        this.tags = new LinkedHashSet<>(tags);
        this.execution = Execution.queued(createdAt);
    }

    @Override
    public UUID getId() { return id; }
    @Override
    public Execution execution() { return execution; }
    /** The validated plan the runner reads (JSON of {@link TrainingJobPlan}). */
    public String getPlanJson() { return planJson; }
    public String getName() { return name; }
    public String getMethod() { return method; }
    public String getDataset() { return dataset; }
    public String getModel() { return model; }
    public String getRequestJson() { return requestJson; }
    public int getEpoch() { return epoch; }
    public int getEpochs() { return epochs; }
    public int getBatch() { return batch; }
    public int getBatches() { return batches; }
    public Double getEtaSeconds() { return etaSeconds; }
    public String getLatestMetrics() { return latestMetrics; }
    public void setLatestMetrics(String latestMetrics) { this.latestMetrics = latestMetrics; }
    public Set<String> getTags() { return tags; }
    /** The job this one continues from its last checkpoint (the previous rung of successive halving), or null. */
    public UUID getContinuesJob() { return continuesJob; }
    /** The epoch after which this job ends, its schedules keeping the request's length; null: the request's epochs. */
    public Integer getStopAfterEpochs() { return stopAfterEpochs; }

    /** Makes this job a rung: it continues {@code previous} (if not null) and ends after {@code stopAfter} epochs (if not null). */
    public void setRung(UUID previous, Integer stopAfter) {
        this.continuesJob = previous;
        this.stopAfterEpochs = stopAfter;
        if (stopAfter != null) {
            this.epochs = stopAfter;
        }
    }

    /** Records batch progress and a linear ETA from the elapsed time. */
    public void setProgress(int epoch, int batch, int batches, double fraction, Instant now) {
        this.epoch = epoch;
        this.batch = batch;
        this.batches = batches;
        execution.setPercent(100.0 * fraction);
        if (execution.getStartedAt() != null && fraction > 0) {
            double elapsed = (now.toEpochMilli() - execution.getStartedAt().toEpochMilli()) / 1000.0;
            this.etaSeconds = elapsed * (1 - fraction) / fraction;
        }
    }

    /** Who created it: the name of the API key that submitted it (null for what predates keys). */
    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }
}
