package org.robustlab.ml.training;

import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.loss.Divergence;

/**
 * A training method with its parameters.
 *
 * @param method which method
 * @param weight lambda for ARR, beta for TRADES and MART, the noise bound for N-FGSM ([0,1] pixel units), unused otherwise
 * @param divergence D for ARR (TRADES always uses KL)
 * @param attack the inner attack (null for standard training)
 * @param weightWarmupEpochs epochs over which lambda (or beta) rises linearly from 0; 0 for none
 */
public record TrainingMethod(Method method, float weight, Divergence divergence, AttackSpec attack, int weightWarmupEpochs) {

    public TrainingMethod {
        if (method != Method.STANDARD && attack == null) {
            throw new IllegalArgumentException(method + " needs an inner attack");
        }
        if (!(weight >= 0f)) {
            throw new IllegalArgumentException("lambda/beta must be >= 0; got " + weight);
        }
        if (method == Method.N_FGSM && !Float.isFinite(weight)) {
            throw new IllegalArgumentException("noise must be finite; got " + weight);
        }
        if (weightWarmupEpochs < 0) {
            throw new IllegalArgumentException("warm-up epochs must be >= 0; got " + weightWarmupEpochs);
        }
    }

    public static TrainingMethod standard() {
        return new TrainingMethod(Method.STANDARD, 0f, Divergence.KL, null, 0);
    }

    /** ARR with the inner attack crafted in inference mode (the default, as TRADES does). */
    public static TrainingMethod arr(float lambda, Divergence divergence, AttackSpec attack) {
        return new TrainingMethod(Method.ARR, lambda, divergence, attack, 0);
    }

    /** PGD-AT; as in Madry's code the attack runs with the model in training mode. */
    public static TrainingMethod pgdAt(float epsilon, int steps, float stepSize) {
        return new TrainingMethod(Method.PGD_AT, 0f, Divergence.KL,
                AttackSpec.pgd(epsilon, steps, stepSize).withTrainingMode(true), 0);
    }

    /** TRADES with its KL inner maximisation in inference mode, from a tiny Gaussian start. */
    public static TrainingMethod trades(float beta, float epsilon, int steps, float stepSize) {
        return new TrainingMethod(Method.TRADES, beta, Divergence.KL,
                AttackSpec.pgd(epsilon, steps, stepSize).withObjective(AttackSpec.Objective.KL), 0);
    }

    /** MART with its PGD (cross-entropy) inner maximisation in inference mode, as its reference code crafts it. */
    public static TrainingMethod mart(float beta, float epsilon, int steps, float stepSize) {
        return new TrainingMethod(Method.MART, beta, Divergence.KL, AttackSpec.pgd(epsilon, steps, stepSize), 0);
    }

    /** Fast adversarial training: FGSM from a uniform random start, step {@code alpha}, with the model in training mode. */
    public static TrainingMethod fgsmRs(float epsilon, float alpha) {
        return new TrainingMethod(Method.FGSM_RS, 0f, Divergence.KL, new AttackSpec(AttackSpec.AttackType.FGSM, AttackSpec.Norm.LINF,
                epsilon, 1, alpha, true, 1, AttackSpec.Objective.CE, true, 0, null), 0);
    }

    /** N-FGSM: noise uniform in [-noise, noise], one FGSM step {@code alpha}, no projection; model in training mode. */
    public static TrainingMethod nFgsm(float epsilon, float alpha, float noise) {
        return new TrainingMethod(Method.N_FGSM, noise, Divergence.KL, new AttackSpec(AttackSpec.AttackType.FGSM, AttackSpec.Norm.LINF,
                epsilon, 1, alpha, false, 1, AttackSpec.Objective.CE, true, 0, null), 0);
    }

    /** The same method with another inner attack (its step, mode or start set by a request). */
    public TrainingMethod withAttack(AttackSpec other) {
        return new TrainingMethod(method, weight, divergence, other, weightWarmupEpochs);
    }

    public TrainingMethod withWarmup(int epochs) {
        return new TrainingMethod(method, weight, divergence, attack, epochs);
    }

    /** The weight at fractional epoch {@code t}, after warm-up. */
    public float weightAt(double t) {
        if (weightWarmupEpochs == 0) {
            return weight;
        }
        return (float) (weight * Math.min(1.0, t / weightWarmupEpochs));
    }
}
