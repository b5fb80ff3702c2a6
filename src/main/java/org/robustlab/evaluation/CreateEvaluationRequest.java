package org.robustlab.evaluation;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.UUID;

/**
 * An evaluation: a model (by id, or the best or last model of a job), attacks with their budgets,
 * and the number of test points (the first N of the test set).
 */
@Schema(example = """
        {"modelId": "00000000-0000-0000-0000-000000000000", "testSubset": 1000,
         "attacks": [{"type": "fgsm", "epsilon": 0.1}, {"type": "pgd", "epsilon": 0.1, "steps": 20}]}""")
public record CreateEvaluationRequest(
        @Schema(description = "the model to evaluate; or give jobId and checkpoint") UUID modelId,
        @Schema(description = "a training job whose model to evaluate") UUID jobId,
        @Schema(description = "best-robust (default) or last, with jobId") String checkpoint,
        @Min(0) @Max(1_000_000) @Schema(description = "first N test images; 0 or absent: all") Integer testSubset,
        @NotEmpty @Size(max = 50) List<@Valid AttackRequest> attacks,
        @Schema(description = "evaluate every attack at each of these epsilons (overrides each attack's epsilon)")
        @Size(max = 20) List<@DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double> epsilons,
        @Min(0) Long seed) {

    /**
     * @param type fgsm or pgd
     * @param epsilon L-inf radius in [0,1] pixel units
     * @param steps PGD steps (default 20)
     * @param stepSize PGD step (default epsilon/4)
     * @param restarts PGD restarts, each example keeping its worst case (default 1)
     * @param loss ce (default) or cw
     */
    public record AttackRequest(
            String type,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double epsilon,
            @Min(1) @Max(1000) Integer steps,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double stepSize,
            @Min(1) @Max(100) Integer restarts,
            String loss) {}
}
