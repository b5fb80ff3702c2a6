package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Runs attacks one after another, each on the examples that every earlier one left correctly classified, keeping for
 * each example the adversarial point of the attack that broke it: the worst case over the attacks. The ensemble's
 * stages run so, and so do the restarts of an attack that has none of its own (Square, each restart with its own seed).
 */
final class Restarts implements Attack {

    private final List<Attack> runs;

    private Restarts(List<Attack> runs) {
        this.runs = runs;
    }

    /** {@code spec} (restarts > 1) as that many runs of itself with one restart each, seeds {@code seed}, {@code seed} + 1, ... */
    static Attack of(AttackSpec spec, long seed, BooleanSupplier cancelled) {
        List<Attack> runs = new ArrayList<>();
        for (int r = 0; r < spec.restarts(); r++) {
            runs.add(Attack.of(spec.withRestarts(1), seed + 1_000_003L * r, cancelled));
        }
        return new Restarts(runs);
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        return onRobust(model, x, y, runs);
    }

    /** The worst case over {@code attacks}, each run on the examples still correctly classified. */
    static NDArray onRobust(Block model, NDArray x, NDArray y, List<Attack> attacks) {
        return RobustRows.run(model, x, y, 0, attacks.size(), 2, "", (xs, ys, target, r, work) -> {
            NDArray adv = attacks.get(r).perturb(model, xs, ys);
            boolean[] broken = invert(BatchRows.correct(model, adv, ys));
            // an example that this attack broke takes its point; the others keep their clean image
            NDArray flags = work.create(broken).reshape(-1, 1, 1, 1).broadcast(adv.getShape());
            return new RobustRows.Result(NDArrays.where(flags, adv, xs), broken);
        });
    }

    private static boolean[] invert(boolean[] flags) {
        boolean[] out = new boolean[flags.length];
        for (int i = 0; i < flags.length; i++) {
            out[i] = !flags[i];
        }
        return out;
    }
}
