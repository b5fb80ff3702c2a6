package org.robustlab.sweep;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.util.UUID;

/**
 * One configuration and seed of a sweep: its training request, then its job, then its evaluations.
 * States: PENDING (not submitted yet: the owner's active-job limit holds it back), TRAINING, WAITING (successive
 * halving: its rung is trained and waits for the rung's decision), EVALUATING, DONE, FAILED (with a reason),
 * PRUNED (successive halving stopped it at its rung, with the reason), CANCELLED.
 *
 * <p>{@code rung} is the rung of successive halving it is in or stopped at (0 for the first; the number of rungs
 * for the full schedule, where grid sweeps and baselines are from the start); {@code jobs} its jobs, one per rung.
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
    public static final String WAITING = "WAITING";
    public static final String PRUNED = "PRUNED";

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
    private int rung;
    @Column(name = "jobs_json")
    private String jobsJson;
    private Double score;
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
        return state.equals(DONE) || state.equals(FAILED) || state.equals(CANCELLED) || state.equals(PRUNED);
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
    public int getRung() { return rung; }
    public void setRung(int rung) { this.rung = rung; }
    /** Its jobs, one per rung, as a JSON array of ids (null before the first is submitted). */
    public String getJobsJson() { return jobsJson; }
    public void setJobsJson(String jobsJson) { this.jobsJson = jobsJson; }
    /** The validation PGD accuracy its last rung ended with (successive halving). */
    public Double getScore() { return score; }
    public void setScore(Double score) { this.score = score; }
}
