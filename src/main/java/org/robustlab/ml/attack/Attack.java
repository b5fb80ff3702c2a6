package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;

/**
 * An attack: adversarial examples for images {@code x} in [0,1] (N,C,H,W) with labels {@code y}.
 * The result lies in the attack's epsilon ball around {@code x} and in [0,1], is attached to
 * {@code x}'s manager, carries no gradient, and the attack leaves no gradient on the parameters.
 */
public interface Attack {

    NDArray perturb(Block model, NDArray x, NDArray y);

    /** The attack described by {@code spec}; {@code seed} drives the attacks that draw on the host. */
    static Attack of(AttackSpec spec, long seed) {
        return switch (spec.type()) {
            case FGSM, PGD -> new GradientAttack(spec);
            case APGD_CE, APGD_DLR, APGD_T -> new Apgd(spec);
            case SQUARE -> new SquareAttack(spec, seed);
            case ENSEMBLE -> new EnsembleAttack(spec, seed);
        };
    }
}
