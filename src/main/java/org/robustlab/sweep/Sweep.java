package org.robustlab.sweep;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.execution.JobState;

/** A sweep: its request, owner and state; its configurations are {@link SweepMember}s. */
@Entity
@Table(name = "sweep")
public class Sweep {

    @Id
    private UUID id;
    private String name;
    private String owner;
    @Enumerated(EnumType.STRING)
    private JobState state;
    private String strategy;
    @Column(name = "request_json")
    private String requestJson;
    @Column(name = "cancel_requested")
    private boolean cancelRequested;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "finished_at")
    private Instant finishedAt;
    @Version
    private long version;

    protected Sweep() {}

    public Sweep(UUID id, String name, String owner, String strategy, String requestJson, Instant createdAt) {
        this.id = id;
        this.name = name;
        this.owner = owner;
        this.strategy = strategy;
        this.requestJson = requestJson;
        this.createdAt = createdAt;
        this.state = JobState.RUNNING;
    }

    public UUID getId() { return id; }
    public String getName() { return name; }
    public String getOwner() { return owner; }
    public JobState getState() { return state; }
    public void setState(JobState state) { this.state = state; }
    public String getStrategy() { return strategy; }
    public String getRequestJson() { return requestJson; }
    public boolean isCancelRequested() { return cancelRequested; }
    public void setCancelRequested(boolean cancelRequested) { this.cancelRequested = cancelRequested; }
    public Instant getCreatedAt() { return createdAt; }
    public Instant getFinishedAt() { return finishedAt; }
    public void setFinishedAt(Instant finishedAt) { this.finishedAt = finishedAt; }
}
