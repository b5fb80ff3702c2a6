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
 * @param weightPerturbation adversarial weight perturbation (AWP) on top of ARR, PGD-AT, TRADES or MART; null for none
 * @param gradAlign GradAlign's lambda on FGSM-RS (the weight of 1 - cos between input gradients); 0 for none
 */
public record TrainingMethod(Method method, float weight, Divergence divergence, AttackSpec attack, int weightWarmupEpochs,
        WeightPerturbation weightPerturbation, float gradAlign) {

    /**
     * Adversarial weight perturbation (Wu et al., "Adversarial weight perturbation helps robust generalization",
     * NeurIPS 2020): before each update, every weight matrix and convolution kernel w moves by
     * {@code gamma * |w| * g / |g|}, g the gradient of the method's own loss on the step's batch; the update's gradient
     * is taken there, the optimiser steps, and the move is taken back.
     *
     * @param gamma the size of the move relative to each weight's norm (0.01 in the PGD-AT reference, 0.005 for TRADES)
     * @param warmupEpochs epochs trained without it first
     */
    public record WeightPerturbation(float gamma, int warmupEpochs) {
        public WeightPerturbation {
            if (!(gamma >= 0f) || !Float.isFinite(gamma)) {
                throw new IllegalArgumentException("weightPerturbation.gamma must be a finite number >= 0; got " + gamma);
            }
            if (warmupEpochs < 0) {
                throw new IllegalArgumentException("weightPerturbation.warmupEpochs must be >= 0; got " + warmupEpochs);
            }
        }
    }

    public TrainingMethod(Method method, float weight, Divergence divergence, AttackSpec attack, int weightWarmupEpochs) {
        this(method, weight, divergence, attack, weightWarmupEpochs, null, 0f);
    }

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
        if (weightPerturbation != null && !AWP_METHODS.contains(method)) {
            throw new IllegalArgumentException("weight perturbation (AWP) applies to arr, pgd-at, trades and mart; not to " + method.id());
        }
        if (!(gradAlign >= 0f) || !Float.isFinite(gradAlign)) {
            throw new IllegalArgumentException("gradAlign lambda must be a finite number >= 0; got " + gradAlign);
        }
        if (gradAlign > 0f && method != Method.FGSM_RS) {
            throw new IllegalArgumentException("GradAlign regularises fgsm-rs, whose single-step attack it aligns; not " + method.id());
        }
    }

    private static final java.util.Set<Method> AWP_METHODS = java.util.EnumSet.of(Method.ARR, Method.PGD_AT, Method.TRADES, Method.MART);

    /** Whether AWP moves the weights during epoch {@code epoch} (0-based). */
    public boolean perturbsWeightsAt(int epoch) {
        return weightPerturbation != null && weightPerturbation.gamma() > 0f && epoch >= weightPerturbation.warmupEpochs();
    }

    /** The same method with AWP (null: none). */
    public TrainingMethod withWeightPerturbation(WeightPerturbation awp) {
        return new TrainingMethod(method, weight, divergence, attack, weightWarmupEpochs, awp, gradAlign);
    }

    /** The same method with GradAlign's lambda (0: none). */
    public TrainingMethod withGradAlign(float lambda) {
        return new TrainingMethod(method, weight, divergence, attack, weightWarmupEpochs, weightPerturbation, lambda);
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
        return new TrainingMethod(method, weight, divergence, other, weightWarmupEpochs, weightPerturbation, gradAlign);
    }

    public TrainingMethod withWarmup(int epochs) {
        return new TrainingMethod(method, weight, divergence, attack, epochs, weightPerturbation, gradAlign);
    }

    /** The weight at fractional epoch {@code t}, after warm-up. */
    public float weightAt(double t) {
        if (weightWarmupEpochs == 0) {
            return weight;
        }
        return (float) (weight * Math.min(1.0, t / weightWarmupEpochs));
    }
}
