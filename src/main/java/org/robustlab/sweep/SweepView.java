package org.robustlab.sweep;

import io.swagger.v3.oas.annotations.media.Schema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.robustlab.execution.JobState;

/**
 * A sweep as clients see it.
 *
 * @param id the sweep's id
 * @param name its name
 * @param owner who submitted it
 * @param state RUNNING until every member has ended; then SUCCEEDED (at least one member evaluated), FAILED or CANCELLED
 * @param strategy grid or asha
 * @param progress how many members are in each state
 * @param halving successive halving's rungs: how many configurations entered each, went on, and which were pruned
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
        List<RungView> halving,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<SweepMemberView> members,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) CreateSweepRequest request,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Instant createdAt, Instant finishedAt) {

    /**
     * Members per state.
     *
     * @param members all of them
     * @param pending not submitted yet (the owner's active-job limit holds them back)
     * @param training training
     * @param waiting successive halving: trained to their rung, waiting for the rung's decision
     * @param evaluating being evaluated
     * @param done evaluated
     * @param failed failed (see each one's reason)
     * @param pruned stopped by successive halving at a rung (see each one's reason)
     * @param cancelled cancelled with the sweep
     */
    public record SweepProgress(int members, int pending, int training, int waiting, int evaluating, int done, int failed, int pruned,
            int cancelled) {}

    /**
     * A rung of successive halving.
     *
     * @param rung its index (0: the first)
     * @param epochs the epoch at which its configurations are compared
     * @param configurations how many configurations entered it
     * @param decided whether its decision has been taken
     * @param continued how many went on to the next rung (max(1, floor(configurations / reductionFactor)))
     * @param pruned the configurations stopped at this rung
     */
    public record RungView(int rung, int epochs, int configurations, boolean decided, int continued, List<String> pruned) {}

    /**
     * One configuration and seed.
     *
     * @param position its place in the sweep
     * @param config the configuration (lambda=1, divergence=kl; or "baseline NAME")
     * @param baseline the baseline's name, for baselines
     * @param seed its seed
     * @param state PENDING, TRAINING, WAITING, EVALUATING, DONE, FAILED, PRUNED or CANCELLED
     * @param jobId its training job, once submitted (the current rung's, under successive halving)
     * @param jobs all its jobs, one per rung
     * @param rung successive halving: the rung it is in or stopped at (0: the first; the number of rungs: the full
     *     schedule, where baselines are from the start)
     * @param score successive halving: the validation PGD accuracy its last finished rung ended with
     * @param evaluations its evaluations, by checkpoint
     * @param reason why it failed or was pruned
     */
    public record SweepMemberView(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) int position,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String config, String baseline, Long seed,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String state, UUID jobId, List<UUID> jobs,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int rung, Double score,
            Map<String, UUID> evaluations, String reason) {}
}
