package org.robustlab.sweep;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.UUID;

/**
 * One configuration and seed of a sweep: its training request, then its job, then its evaluations.
 * States: PENDING (not submitted yet: the owner's active-job limit holds it back), TRAINING, EVALUATING,
 * DONE, FAILED (with a reason), CANCELLED.
 */
@Entity
@Table(name = "sweep_member")
public class SweepMember {

    public static final String PENDING = "PENDING";
    public static final String TRAINING = "TRAINING";
    public static final String EVALUATING = "EVALUATING";
    public static final String DONE = "DONE";
    public static final String FAILED = "FAILED";
    public static final String CANCELLED = "CANCELLED";

    @Id
    private UUID id;
    @Column(name = "sweep_id")
    private UUID sweepId;
    private int position;
    private String config;
    private String baseline;
    private Long seed;
    @Column(name = "request_json")
    private String requestJson;
    private String state;
    @Column(name = "job_id")
    private UUID jobId;
    @Column(name = "evaluations_json")
    private String evaluationsJson;
    private String reason;
    @Version
    private long version;

    protected SweepMember() {}

    public SweepMember(UUID sweepId, int position, String config, String baseline, Long seed, String requestJson) {
        this.id = UUID.randomUUID();
        this.sweepId = sweepId;
        this.position = position;
        this.config = config;
        this.baseline = baseline;
        this.seed = seed;
        this.requestJson = requestJson;
        this.state = PENDING;
    }

    public boolean isEnded() {
        return state.equals(DONE) || state.equals(FAILED) || state.equals(CANCELLED);
    }

    public UUID getId() { return id; }
    public UUID getSweepId() { return sweepId; }
    public int getPosition() { return position; }
    public String getConfig() { return config; }
    public String getBaseline() { return baseline; }
    public Long getSeed() { return seed; }
    public String getRequestJson() { return requestJson; }
    public String getState() { return state; }
    public void setState(String state) { this.state = state; }
    public UUID getJobId() { return jobId; }
    public void setJobId(UUID jobId) { this.jobId = jobId; }
    public String getEvaluationsJson() { return evaluationsJson; }
    public void setEvaluationsJson(String evaluationsJson) { this.evaluationsJson = evaluationsJson; }
    public String getReason() { return reason; }
    public void setReason(String reason) { this.reason = reason; }
}
