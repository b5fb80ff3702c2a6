package org.robustlab.evaluation;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.job.JobState;

/** An attack evaluation of one model, run asynchronously like a training job. */
@Entity
@Table(name = "evaluation")
public class EvaluationJob {

    @Id
    private UUID id;
    @Column(name = "model_id")
    private UUID modelId;
    @Enumerated(EnumType.STRING)
    private JobState state;
    @Column(name = "request_json")
    private String requestJson;
    @Column(name = "report_json")
    private String reportJson;
    private double percent;
    @Column(name = "failure_reason")
    private String failureReason;
    private String device;
    private String owner;
    private int attempts;
    @Column(name = "execution_token")
    private String executionToken;
    @Column(name = "cancel_requested")
    private boolean cancelRequested;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "started_at")
    private Instant startedAt;
    @Column(name = "finished_at")
    private Instant finishedAt;
    @Version
    private long version;

    protected EvaluationJob() {}

    public EvaluationJob(UUID id, UUID modelId, String requestJson, Instant createdAt) {
        this.id = id;
        this.modelId = modelId;
        this.requestJson = requestJson;
        this.state = JobState.QUEUED;
        this.createdAt = createdAt;
    }

    public UUID getId() { return id; }
    public UUID getModelId() { return modelId; }
    public JobState getState() { return state; }
    public void setState(JobState state) { this.state = state; }
    public String getRequestJson() { return requestJson; }
    public String getReportJson() { return reportJson; }
    public void setReportJson(String reportJson) { this.reportJson = reportJson; }
    public double getPercent() { return percent; }
    public void setPercent(double percent) { this.percent = percent; }
    public String getFailureReason() { return failureReason; }
    public void setFailureReason(String failureReason) { this.failureReason = failureReason; }
    public String getDevice() { return device; }
    public void setDevice(String device) { this.device = device; }
    public String getExecutionToken() { return executionToken; }
    public void setExecutionToken(String executionToken) { this.executionToken = executionToken; }
    public boolean isCancelRequested() { return cancelRequested; }
    public void setCancelRequested(boolean cancelRequested) { this.cancelRequested = cancelRequested; }
    public int getAttempts() { return attempts; }
    public void setAttempts(int attempts) { this.attempts = attempts; }
    public Instant getCreatedAt() { return createdAt; }
    public Instant getStartedAt() { return startedAt; }
    public void setStartedAt(Instant startedAt) { this.startedAt = startedAt; }
    public Instant getFinishedAt() { return finishedAt; }
    public void setFinishedAt(Instant finishedAt) { this.finishedAt = finishedAt; }

    /** Who created it: the name of the API key that submitted it (null for what predates keys). */
    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }
}
