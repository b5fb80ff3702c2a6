package org.robustlab.execution;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * One execution of a training job or an evaluation: which instance ran it, under which fencing token,
 * from which checkpoint, and how it ended. A job has one row per start (a resume after a crash, a
 * restart or a failover adds one).
 */
@Entity
@Table(name = "job_execution")
public class JobExecution {

    @Id
    private UUID id;
    @Column(name = "job_id")
    private UUID jobId;
    private String kind;
    private int attempt;
    private String instance;
    private String token;
    @Column(name = "started_at")
    private Instant startedAt;
    @Column(name = "ended_at")
    private Instant endedAt;
    private String outcome;
    private String reason;
    @Column(name = "resumed_from_epoch")
    private Integer resumedFromEpoch;
    @Column(name = "epochs_redone")
    private Integer epochsRedone;

    protected JobExecution() {}

    public JobExecution(UUID jobId, String kind, int attempt, String instance, String token, Instant startedAt) {
        this.id = UUID.randomUUID();
        this.jobId = jobId;
        this.kind = kind;
        this.attempt = attempt;
        this.instance = instance;
        this.token = token;
        this.startedAt = startedAt;
    }

    public UUID getId() { return id; }
    public UUID getJobId() { return jobId; }
    public String getKind() { return kind; }
    public int getAttempt() { return attempt; }
    public String getInstance() { return instance; }
    public String getToken() { return token; }
    public Instant getStartedAt() { return startedAt; }
    public Instant getEndedAt() { return endedAt; }
    public String getOutcome() { return outcome; }
    /** Why the execution ended so, when its outcome alone does not say (an interruption, a take-over). */
    public String getReason() { return reason; }
    public Integer getResumedFromEpoch() { return resumedFromEpoch; }
    public Integer getEpochsRedone() { return epochsRedone; }

    public void setEndedAt(Instant endedAt) { this.endedAt = endedAt; }
    public void setOutcome(String outcome) { this.outcome = outcome; }
    public void setReason(String reason) { this.reason = reason; }
    public void setResumedFromEpoch(Integer resumedFromEpoch) { this.resumedFromEpoch = resumedFromEpoch; }
    public void setEpochsRedone(Integer epochsRedone) { this.epochsRedone = epochsRedone; }
}
