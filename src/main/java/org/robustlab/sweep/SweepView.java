package org.robustlab.sweep;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.robustlab.job.JobState;

/**
 * A sweep as clients see it.
 *
 * @param id the sweep's id
 * @param name its name
 * @param owner who submitted it
 * @param state RUNNING until every member has ended; then SUCCEEDED (at least one member evaluated), FAILED or CANCELLED
 * @param strategy grid
 * @param progress how many members are in each state
 * @param members each configuration and seed: its job, evaluations and state
 * @param request the request it was submitted with
 * @param createdAt when it was submitted
 * @param finishedAt when its last member ended
 */
public record SweepView(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) UUID id, String name, String owner,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) JobState state,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String strategy,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) SweepProgress progress,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<SweepMemberView> members,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) CreateSweepRequest request,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Instant createdAt, Instant finishedAt) {

    /**
     * Members per state.
     *
     * @param members all of them
     * @param pending not submitted yet (the owner's active-job limit holds them back)
     * @param training training
     * @param evaluating being evaluated
     * @param done evaluated
     * @param failed failed (see each one's reason)
     * @param cancelled cancelled with the sweep
     */
    public record SweepProgress(int members, int pending, int training, int evaluating, int done, int failed, int cancelled) {}

    /**
     * One configuration and seed.
     *
     * @param position its place in the sweep
     * @param config the configuration (lambda=1, divergence=kl; or "baseline NAME")
     * @param baseline the baseline's name, for baselines
     * @param seed its seed
     * @param state PENDING, TRAINING, EVALUATING, DONE, FAILED or CANCELLED
     * @param jobId its training job, once submitted
     * @param evaluations its evaluations, by checkpoint
     * @param reason why it failed
     */
    public record SweepMemberView(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) int position,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String config, String baseline, Long seed,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String state, UUID jobId, Map<String, UUID> evaluations, String reason) {}
}
