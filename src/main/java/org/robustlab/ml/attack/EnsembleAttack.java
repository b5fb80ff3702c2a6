package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The AutoAttack-style ensemble (Croce and Hein, 2020): APGD-CE, then targeted APGD-DLR, then Square.
 * Each stage runs only on the examples that every earlier stage left correctly classified, so the
 * result is the per-example worst case over the three and the cost falls as examples break.
 */
public final class EnsembleAttack implements Attack {

    private final List<Attack> stages;

    public EnsembleAttack(AttackSpec spec, long seed) {
        this(spec, seed, () -> false);
    }

    public EnsembleAttack(AttackSpec spec, long seed, BooleanSupplier cancelled) {
        float eps = spec.epsilon();
        this.stages = List.of(
                new Apgd(AttackSpec.apgdCe(eps, spec.steps()).withTrainingMode(spec.trainingMode()), cancelled),
                new Apgd(AttackSpec.apgdT(eps, spec.steps(), spec.restarts()).withTrainingMode(spec.trainingMode()), cancelled),
                new SquareAttack(AttackSpec.square(eps, spec.queries()).withTrainingMode(spec.trainingMode()), seed, cancelled));
    }

    /** The stages, in order. */
    public static List<String> stageNames(AttackSpec spec) {
        return List.of(AttackSpec.apgdCe(spec.epsilon(), spec.steps()).label(),
                AttackSpec.apgdT(spec.epsilon(), spec.steps(), spec.restarts()).label(),
                AttackSpec.square(spec.epsilon(), spec.queries()).label());
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        NDArray result = x.duplicate();
        try {
            boolean[] robust = BatchRows.correct(model, x, y);
            for (Attack stage : stages) {
                int[] active = BatchRows.where(robust);
                if (active.length == 0) {
                    break;
                }
                try (NDManager work = x.getManager().newSubManager()) {
                    work.tempAttachAll(x, y);
                    NDArray rows = BatchRows.index(work, active);
                    NDArray xs = BatchRows.take(x, rows);
                    NDArray ys = BatchRows.take(y, rows);
                    NDArray adv = stage.perturb(model, xs, ys);
                    boolean[] still = BatchRows.correct(model, adv, ys);
                    BatchRows.put(result, adv, rows);
                    for (int i = 0; i < active.length; i++) {
                        robust[active[i]] = still[i];
                    }
                }
            }
            return result;
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
    }
}
