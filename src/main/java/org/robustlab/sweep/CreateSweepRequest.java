package org.robustlab.sweep;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Map;
import org.robustlab.evaluation.CreateEvaluationRequest;
import org.robustlab.job.CreateTrainingJobRequest;

/**
 * A sweep: a base training request, a grid over its fields, named baselines, and the evaluation every
 * resulting model gets. It expands into ordinary jobs and evaluations, with the owner's quotas.
 *
 * @param name a name for the sweep (its jobs are named after it)
 * @param base the training request every configuration starts from
 * @param grid field paths of the training request to the values to try; every combination runs
 * @param baselines named variations of the base (a JSON merge patch each), run over the same seeds
 * @param evaluation the evaluation of each model
 * @param strategy grid (every configuration to the end) or asha (successive halving)
 * @param halving the rungs and reduction factor of successive halving
 */
@Schema(example = """
        {"name": "lambda-ablation",
         "base": {"dataset": "fashion-mnist", "trainSubset": 2000, "model": "small-cnn", "method": "arr", "epochs": 2,
                  "attack": {"type": "fgsm", "epsilon": 0.1}, "validation": {"size": 200, "pgdSteps": 5}},
         "grid": {"divergence": ["kl", "l2"], "lambda": [0.5, 1, 4], "seed": [1, 2]},
         "baselines": [{"name": "standard", "request": {"method": "standard", "lambda": null, "divergence": null, "attack": null}},
                       {"name": "pgd-at", "request": {"method": "pgd-at", "lambda": null, "divergence": null,
                                                      "attack": {"type": "pgd", "epsilon": 0.1, "steps": 10}}}],
         "evaluation": {"checkpoints": ["best-robust"],
                        "request": {"testSubset": 500, "attacks": [{"type": "fgsm", "epsilon": 0.1}, {"type": "pgd", "epsilon": 0.1, "steps": 20}]}},
         "strategy": "grid"}""")
public record CreateSweepRequest(
        @Size(max = 200) String name,
        @NotNull @Valid CreateTrainingJobRequest base,
        @Schema(description = "training-request field paths (dotted for nested fields: attack.epsilon, optimizer.learningRate)"
                + " to the values to try. Every combination is a configuration; 'seed' is the replicate dimension, over which"
                + " results are averaged (mean and standard deviation)")
        @Size(max = 8) Map<@NotBlank @Size(max = 100) @Pattern(regexp = "[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z][A-Za-z0-9]*)*",
                message = "must be a field path such as lambda or attack.epsilon") String, @NotEmpty @Size(max = 20) List<Object>> grid,
        @Size(max = 10) List<@NotNull @Valid Baseline> baselines,
        @NotNull @Valid SweepEvaluation evaluation,
        @Size(max = 20) @Schema(allowableValues = {"grid", "asha"}, description = "grid (the default): every configuration to its last"
                + " epoch. asha: successive halving; every configuration trains to the first rung's epoch, the top 1/reductionFactor"
                + " by validation PGD accuracy (mean over seeds) continue to the next rung from their checkpoints, and so on; the"
                + " rest are pruned, with the rung recorded. Baselines are never pruned")
        String strategy,
        @Valid @Schema(description = "for strategy asha") Halving halving) {

    /**
     * Successive halving's schedule.
     *
     * @param rungs the epochs at which configurations are compared, increasing and below the base's epochs; default
     *     epochs/f, epochs/f^2, ... (at least 1) for reduction factor f
     * @param reductionFactor 1/f of the configurations of a rung go on to the next (at least one); default 3
     */
    public record Halving(
            @Size(min = 1, max = 10) List<@NotNull @Min(1) @Max(10_000) Integer> rungs,
            @Min(2) @Max(10) Integer reductionFactor) {

        public int factor() {
            return reductionFactor == null ? 3 : reductionFactor;
        }
    }

    /**
     * A baseline: the base request changed by {@code request}, a JSON merge patch (RFC 7386: a field set to null is
     * removed), run over the grid's seeds.
     */
    public record Baseline(
            @NotBlank @Size(max = 100) String name,
            @NotNull @Schema(description = "JSON merge patch on base; null removes a field") Map<String, Object> request) {}

    /**
     * @param checkpoints which models of each job to evaluate (default best-robust)
     * @param request the evaluation request, without modelId or jobId
     */
    public record SweepEvaluation(
            @Size(max = 2) List<@NotNull @Pattern(regexp = "best-robust|last", message = "must be best-robust or last") String> checkpoints,
            @NotNull @Valid CreateEvaluationRequest request) {}
}
