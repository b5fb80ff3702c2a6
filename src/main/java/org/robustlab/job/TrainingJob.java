package org.robustlab.job;

import jakarta.persistence.CollectionTable;
import jakarta.persistence.Column;
import jakarta.persistence.ElementCollection;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.FetchType;
import jakarta.persistence.Id;
import jakarta.persistence.JoinColumn;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;

/** A training job as stored; its request is kept as the JSON the client sent, normalised. */
@Entity
@Table(name = "training_job")
public class TrainingJob {

    @Id
    private UUID id;
    private String name;
    @Enumerated(EnumType.STRING)
    private JobState state;
    private String method;
    private String dataset;
    private String model;
    @Column(name = "request_json")
    private String requestJson;
    private int epoch;
    private int epochs;
    private int batch;
    private int batches;
    private double percent;
    @Column(name = "eta_seconds")
    private Double etaSeconds;
    @Column(name = "latest_metrics")
    private String latestMetrics;
    @Column(name = "failure_reason")
    private String failureReason;
    private String device;
    private String owner;
    private int attempts;
    @Column(name = "cancel_requested")
    private boolean cancelRequested;
    @Column(name = "execution_token")
    private String executionToken;
    @Column(name = "continues_job")
    private UUID continuesJob;
    @Column(name = "stop_after_epochs")
    private Integer stopAfterEpochs;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "started_at")
    private Instant startedAt;
    @Column(name = "finished_at")
    private Instant finishedAt;
    @Version
    private long version;

    @ElementCollection(fetch = FetchType.EAGER)
    @CollectionTable(name = "training_job_tag", joinColumns = @JoinColumn(name = "job_id"))
    @Column(name = "tag")
    private Set<String> tags = new LinkedHashSet<>();

    protected TrainingJob() {}

    public TrainingJob(UUID id, String name, String method, String dataset, String model, int epochs, String requestJson,
            Set<String> tags, Instant createdAt) {
        this.id = id;
        this.name = name;
        this.state = JobState.QUEUED;
        this.method = method;
        this.dataset = dataset;
        this.model = model;
        this.epochs = epochs;
        this.requestJson = requestJson;
        this.tags = new LinkedHashSet<>(tags);
        this.createdAt = createdAt;
    }

    public UUID getId() { return id; }
    public String getName() { return name; }
    public JobState getState() { return state; }
    public void setState(JobState state) { this.state = state; }
    public String getMethod() { return method; }
    public String getDataset() { return dataset; }
    public String getModel() { return model; }
    public String getRequestJson() { return requestJson; }
    public int getEpoch() { return epoch; }
    public int getEpochs() { return epochs; }
    public int getBatch() { return batch; }
    public int getBatches() { return batches; }
    public double getPercent() { return percent; }
    public Double getEtaSeconds() { return etaSeconds; }
    public String getLatestMetrics() { return latestMetrics; }
    public void setLatestMetrics(String latestMetrics) { this.latestMetrics = latestMetrics; }
    public String getFailureReason() { return failureReason; }
    public void setFailureReason(String failureReason) { this.failureReason = failureReason; }
    public String getDevice() { return device; }
    public void setDevice(String device) { this.device = device; }
    public int getAttempts() { return attempts; }
    public void setAttempts(int attempts) { this.attempts = attempts; }
    public String getExecutionToken() { return executionToken; }
    public void setExecutionToken(String executionToken) { this.executionToken = executionToken; }
    public boolean isCancelRequested() { return cancelRequested; }
    public void setCancelRequested(boolean cancelRequested) { this.cancelRequested = cancelRequested; }
    public Instant getCreatedAt() { return createdAt; }
    public Instant getStartedAt() { return startedAt; }
    public void setStartedAt(Instant startedAt) { this.startedAt = startedAt; }
    public Instant getFinishedAt() { return finishedAt; }
    public void setFinishedAt(Instant finishedAt) { this.finishedAt = finishedAt; }
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
        this.percent = Math.min(100.0, 100.0 * fraction);
        if (startedAt != null && fraction > 0) {
            double elapsed = (now.toEpochMilli() - startedAt.toEpochMilli()) / 1000.0;
            this.etaSeconds = elapsed * (1 - fraction) / fraction;
        }
    }

    public boolean isTerminal() {
        return state.isTerminal();
    }

    /** Who created it: the name of the API key that submitted it (null for what predates keys). */
    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }
}
