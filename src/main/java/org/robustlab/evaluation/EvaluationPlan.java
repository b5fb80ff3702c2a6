package org.robustlab.evaluation;

import java.util.List;
import java.util.UUID;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.evaluation.Diagnostics;

/**
 * What an evaluation runs, made from its request once, at submission, after every check; stored with the
 * evaluation, and what the runner reads (never the request).
 *
 * @param modelId the evaluated model
 * @param attacks each attack at its epsilon; a transfer attack names its surrogate by the model's id
 * @param testSubset the first N test points; 0: all
 * @param seed the seed of the random starts
 * @param diagnostics the masking checks, feature analysis and pictures; null: none
 * @param surrogates the models the transfer attacks are made on
 * @param device where it may run: auto, cpu or gpu
 */
public record EvaluationPlan(UUID modelId, List<AttackSpec> attacks, int testSubset, long seed, Diagnostics.Plan diagnostics,
        List<UUID> surrogates, String device) {

    public EvaluationPlan {
        attacks = List.copyOf(attacks);
        surrogates = List.copyOf(surrogates);
    }
}
