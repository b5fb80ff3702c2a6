package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * An attack: adversarial examples for images {@code x} in [0,1] (N,C,H,W) with labels {@code y}.
 * The result lies in the attack's epsilon ball around {@code x} and in [0,1], is attached to
 * {@code x}'s manager, carries no gradient, and the attack leaves no gradient on the parameters.
 */
public interface Attack {

    NDArray perturb(Block model, NDArray x, NDArray y);

    /** The attack described by {@code spec}; {@code seed} drives the attacks that draw on the host. */
    static Attack of(AttackSpec spec, long seed) {
        return of(spec, seed, () -> false);
    }

    /**
     * As {@link #of(AttackSpec, long)}; the long attacks (APGD, Square, the ensemble) check
     * {@code cancelled} at every iteration and stop with a {@link CancellationException}.
     */
    static Attack of(AttackSpec spec, long seed, BooleanSupplier cancelled) {
        return switch (spec.type()) {
            case FGSM, PGD -> new GradientAttack(spec);
            case APGD_CE, APGD_DLR, APGD_T -> new Apgd(spec, cancelled);
            case SQUARE -> spec.restarts() > 1 ? Restarts.of(spec, seed, cancelled) : new SquareAttack(spec, seed, cancelled);
            case FAB, FAB_T -> new Fab(spec, cancelled);
            case ENSEMBLE -> new EnsembleAttack(spec, seed, cancelled);
        };
    }

    /** Throws a {@link CancellationException} when {@code cancelled} says so. */
    static void check(BooleanSupplier cancelled) {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("attack cancelled");
        }
    }
}
