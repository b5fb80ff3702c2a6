package org.robustlab.execution;

import jakarta.persistence.Column;
import jakarta.persistence.Embeddable;
import jakarta.persistence.EnumType;
import jakarta.persistence.Enumerated;
import java.time.Instant;
import java.util.UUID;

/**
 * The life of a job or an evaluation as a worker supervisor runs it, the same columns in both tables: its state,
 * progress, the device and the execution token of the run that holds it now, how many times it was started,
 * whether a cancel was asked, when it was queued, started and ended, and why it failed.
 *
 * <p>The token fences each job to one execution: whoever writes checks it in the same transaction
 * ({@link ExecutionStore#updateFenced}), so a paused instance that comes back after its job went elsewhere writes
 * nothing.
 */
@Embeddable
public class Execution {

    @Enumerated(EnumType.STRING)
    private JobState state;
    private double percent;
    @Column(name = "failure_reason")
    private String failureReason;
    private String device;
    private int attempts;
    @Column(name = "cancel_requested")
    private boolean cancelRequested;
    @Column(name = "execution_token")
    private String executionToken;
    @Column(name = "created_at")
    private Instant createdAt;
    @Column(name = "started_at")
    private Instant startedAt;
    @Column(name = "finished_at")
    private Instant finishedAt;

    protected Execution() {}

    /** A new job's: QUEUED since {@code createdAt}. */
    public static Execution queued(Instant createdAt) {
        Execution e = new Execution();
        e.state = JobState.QUEUED;
        e.createdAt = createdAt;
        return e;
    }

    public JobState getState() { return state; }
    public double getPercent() { return percent; }
    public String getFailureReason() { return failureReason; }
    public String getDevice() { return device; }
    public int getAttempts() { return attempts; }
    public boolean isCancelRequested() { return cancelRequested; }
    public String getExecutionToken() { return executionToken; }
    public Instant getCreatedAt() { return createdAt; }
    public Instant getStartedAt() { return startedAt; }
    public Instant getFinishedAt() { return finishedAt; }

    public boolean isTerminal() {
        return state.isTerminal();
    }

    /** Whether {@code token} is the token of the execution that holds the job now. */
    public boolean isHeldBy(String token) {
        return token.equals(executionToken);
    }

    /** A new execution takes the job: RUNNING on {@code device} under {@code token}, one more attempt. */
    public void start(String token, String device, Instant now) {
        this.state = JobState.RUNNING;
        this.attempts++;
        this.device = device;
        this.executionToken = token;
        if (startedAt == null) {
            startedAt = now;
        }
    }

    public void setPercent(double percent) {
        this.percent = Math.min(100.0, percent);
    }

    /**
     * Cancels the job: a QUEUED one ends CANCELLED at once; a RUNNING one is asked to stop, which whichever instance
     * runs it sees; an ended one is left as it is.
     */
    void cancel(Instant now) {
        if (state == JobState.QUEUED) {
            finish(JobState.CANCELLED, "cancelled before it started", now);
        } else if (!isTerminal()) {
            cancelRequested = true;
        }
    }

    /** Ends the job; a SUCCEEDED one is at 100 percent. */
    public void finish(JobState state, String reason, Instant now) {
        this.state = state;
        this.failureReason = reason;
        this.finishedAt = now;
        if (state == JobState.SUCCEEDED) {
            this.percent = 100;
        }
    }

    /** Throws {@link FencedException} unless {@code token} holds the job. */
    void requireHeldBy(String token, JobKind kind, UUID id) {
        if (!isHeldBy(token)) {
            throw new FencedException(kind.noun(), id);
        }
    }
}
