package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * An ensemble of attacks run as AutoAttack runs them (Croce and Hein, 2020): each stage starts from the clean image and
 * runs only on the examples that every earlier stage left correctly classified, so an example counts as robust only if
 * every stage fails on it, and the cost falls as examples break. Its stages come from {@link AttackSpec#stages()}:
 * AutoAttack's standard version (APGD-CE, APGD-T, FAB-T, Square), {@code plus}, {@code rand}, or a custom list.
 */
public final class EnsembleAttack implements Attack {

    private final List<Attack> stages = new ArrayList<>();

    public EnsembleAttack(AttackSpec spec, long seed) {
        this(spec, seed, () -> false);
    }

    public EnsembleAttack(AttackSpec spec, long seed, BooleanSupplier cancelled) {
        List<AttackSpec> specs = spec.stages();
        for (int i = 0; i < specs.size(); i++) {
            stages.add(Attack.of(specs.get(i).withTrainingMode(spec.trainingMode()), seed + i, cancelled));
        }
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        return Restarts.onRobust(model, x, y, stages);
    }
}
