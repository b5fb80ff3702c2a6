package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.UUID;

/**
 * An evaluation: a model (by id, or the best or last model of a job), attacks with their budgets,
 * the number of test points (the first N of the test set), and the diagnostics (masking checks,
 * feature analysis, pictures), which run by default.
 */
@Schema(example = """
        {"modelId": "00000000-0000-0000-0000-000000000000", "testSubset": 1000,
         "attacks": [{"type": "fgsm", "epsilon": 0.1}, {"type": "pgd", "epsilon": 0.1, "steps": 20},
                     {"type": "ensemble", "epsilon": 0.1, "steps": 100, "targets": 9, "queries": 5000}],
         "diagnostics": {"points": 200, "squareQueries": 1000}}""")
public record CreateEvaluationRequest(
        @Schema(description = "the model to evaluate, an id from GET /api/v1/models (the example's is a placeholder);"
                + " or give jobId and checkpoint") UUID modelId,
        @Schema(description = "a training job whose model to evaluate") UUID jobId,
        @Size(max = 40) @Schema(description = "with jobId: default best-robust", allowableValues = {"best-robust", "last"}) String checkpoint,
        @Min(0) @Max(1_000_000) @Schema(description = "first N test images; 0 or absent: all") Integer testSubset,
        @NotEmpty @Size(max = 50) List<@NotNull @Valid AttackRequest> attacks,
        @Schema(description = "evaluate every attack at each of these epsilons (overrides each attack's epsilon)")
        @Size(max = 20) List<@NotNull @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double> epsilons,
        @Min(0) Long seed,
        @Valid @Schema(description = "masking checks, feature analysis and pictures; on by default") DiagnosticsRequest diagnostics,
        @Schema(description = "where it runs: auto (the default: a GPU when this instance has one), cpu or gpu",
                allowableValues = {"auto", "cpu", "gpu"}) @Size(max = 40) String device) {

    /**
     * @param type fgsm, pgd, apgd-ce, apgd-dlr, apgd-t, fab, fab-t, square, transfer or ensemble
     * @param epsilon L-inf radius in [0,1] pixel units
     * @param steps PGD steps (default 20); APGD, FAB and ensemble iterations (default 100)
     * @param stepSize PGD step (default epsilon/4)
     * @param restarts PGD, APGD, FAB and Square restarts, each example keeping its worst case (default 1)
     * @param loss ce (default) or cw, for PGD
     * @param targets apgd-t, fab-t and ensemble: how many of the most likely wrong classes to target (default 9)
     * @param queries square and ensemble: queries per example (default 5000)
     * @param surrogateModelId transfer: the model the adversarial examples are made on
     * @param surrogateAttack transfer: the attack run on the surrogate (default PGD-20); its epsilon is this attack's
     * @param version ensemble: AutoAttack's standard (the default: APGD-CE, APGD-T, FAB-T, Square), plus, rand, or custom
     * @param stages ensemble, version custom: the attacks to run in order, each with its budget (no ensemble, no transfer)
     */
    @Schema(name = "EvaluationAttack", description = "an attack of an evaluation, with its budget")
    public record AttackRequest(
            @Size(max = 40) @Schema(example = "pgd",
                    allowableValues = {"fgsm", "pgd", "apgd-ce", "apgd-dlr", "apgd-t", "fab", "fab-t", "square", "transfer", "ensemble"})
            String type,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double epsilon,
            @Min(1) @Max(1000) Integer steps,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double stepSize,
            @Min(1) @Max(100) Integer restarts,
            @Size(max = 40) @Schema(allowableValues = {"ce", "cw"}) String loss,
            @Min(1) @Max(99) Integer targets,
            @Min(1) @Max(100_000) Integer queries,
            UUID surrogateModelId,
            @Valid AttackRequest surrogateAttack,
            @Size(max = 40) @Schema(allowableValues = {"standard", "plus", "rand", "custom"}) String version,
            @Size(max = 10) List<@NotNull @Valid AttackRequest> stages) {

        /** An attack of {@code type} at {@code epsilon} with every other field at its default. */
        public static AttackRequest of(String type, Double epsilon) {
            return new AttackRequest(type, epsilon, null, null, null, null, null, null, null, null, null, null);
        }
    }

    /**
     * @param enabled run them (default true)
     * @param points first N test points they use (default 200, at most the evaluation's test points)
     * @param epsilon radius of the checks (default: the largest epsilon of the attacks)
     * @param squareQueries the Square attack's budget in the black-box check (default 1000)
     * @param pictures images in the pictures (default 8)
     */
    public record DiagnosticsRequest(
            Boolean enabled,
            @Min(1) @Max(10_000) Integer points,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double epsilon,
            @Min(1) @Max(100_000) Integer squareQueries,
            @Min(0) @Max(16) Integer pictures) {}
}
