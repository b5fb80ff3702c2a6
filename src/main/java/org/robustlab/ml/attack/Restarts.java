package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
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
        NDArray result = x.duplicate();
        try {
            boolean[] robust = BatchRows.correct(model, x, y);
            for (Attack attack : attacks) {
                int[] active = BatchRows.where(robust);
                if (active.length == 0) {
                    break;
                }
                try (NDManager work = x.getManager().newSubManager()) {
                    work.tempAttachAll(x, y);
                    NDArray rows = BatchRows.index(work, active);
                    NDArray xs = BatchRows.take(x, rows);
                    NDArray ys = BatchRows.take(y, rows);
                    NDArray adv = attack.perturb(model, xs, ys);
                    boolean[] still = BatchRows.correct(model, adv, ys);
                    NDArray kept = BatchRows.take(result, rows);
                    for (int i = 0; i < active.length; i++) {
                        robust[active[i]] = still[i];
                    }
                    // an example that this attack broke takes its point; the others keep theirs
                    NDArray broken = work.create(invert(still)).reshape(-1, 1, 1, 1).broadcast(adv.getShape());
                    BatchRows.put(result, NDArrays.where(broken, adv, kept), rows);
                }
            }
            return result;
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
    }

    private static boolean[] invert(boolean[] flags) {
        boolean[] out = new boolean[flags.length];
        for (int i = 0; i < flags.length; i++) {
            out[i] = !flags[i];
        }
        return out;
    }
}
