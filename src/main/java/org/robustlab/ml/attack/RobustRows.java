package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import org.robustlab.ml.model.Forward;

/**
 * The outer loop that APGD and FAB share, as AutoAttack runs them: for each target class (the most likely wrong classes
 * of the clean input first; one pass when untargeted) and each restart, one run on the examples still classified
 * correctly; an example that a run fools is robust no more. The result holds, for each example, the point of the last
 * run that attacked it.
 */
final class RobustRows {

    /** One run on the rows given: their adversarial points and which of them are fooled. */
    interface Run {
        Result run(NDArray x, NDArray y, NDArray target, int restart, NDManager work);
    }

    record Result(NDArray adv, boolean[] fooled) {}

    private RobustRows() {}

    /**
     * Runs {@code run} over the examples still robust, {@code targets} targets (0: untargeted) times {@code restarts}
     * restarts. {@code minClasses} is the fewest classes a targeted run accepts.
     */
    static NDArray run(Block model, NDArray x, NDArray y, int targets, int restarts, int minClasses, String name, Run run) {
        NDManager parent = x.getManager();
        NDArray result = x.duplicate();
        try (NDManager keep = parent.newSubManager()) {
            boolean[] robust = BatchRows.correct(model, x, y);
            NDArray ranks = null;
            int classes = 0;
            int passes = 1;
            if (targets > 0) {
                try (NDManager s = parent.newSubManager()) {
                    s.tempAttachAll(x);
                    NDArray logits = Forward.logits(model, x, false);
                    classes = (int) logits.getShape().get(1);
                    ranks = logits.argSort(1);
                    ranks.attach(keep);
                }
                if (classes < minClasses) {
                    throw new IllegalArgumentException(name + " needs at least " + minClasses + " classes; the model has " + classes);
                }
                passes = Math.min(targets, classes - 1);
            }
            for (int t = 0; t < passes; t++) {
                for (int r = 0; r < restarts; r++) {
                    int[] active = BatchRows.where(robust);
                    if (active.length == 0) {
                        return result;
                    }
                    try (NDManager work = parent.newSubManager()) {
                        work.tempAttachAll(x, y, result);
                        NDArray rows = BatchRows.index(work, active);
                        NDArray xs = BatchRows.take(x, rows);
                        NDArray ys = BatchRows.take(y, rows);
                        NDArray target = null;
                        if (ranks != null) {
                            work.tempAttachAll(ranks);
                            // the (t+2)-th most likely class of the clean input: the best wrong guesses first
                            target = BatchRows.take(ranks, rows).get(":, " + (classes - 2 - t)).toType(ys.getDataType(), false);
                        }
                        Result res = run.run(xs, ys, target, r, work);
                        BatchRows.put(result, res.adv(), rows);
                        for (int i = 0; i < active.length; i++) {
                            if (res.fooled()[i]) {
                                robust[active[i]] = false;
                            }
                        }
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
