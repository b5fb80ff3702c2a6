package org.robustlab.ml.attack;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.function.BooleanSupplier;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.nd.Scalars;

/**
 * The L-inf Square attack (Andriushchenko et al., "Square Attack: a query-efficient black-box
 * adversarial attack via random search", ECCV 2020). It uses only the model's scores, never its
 * gradients, so gradient masking does not fool it.
 *
 * <p>It follows AutoAttack's Square (fra31/auto-attack, {@code autoattack/square.py}, L-inf, margin
 * loss, as {@code AutoAttack} builds it with {@code resc_schedule=False}). Start: vertical stripes of
 * +-epsilon (one query). Then {@code queries} iterations, each of which changes, for every example not
 * yet misclassified, one random square window of side sqrt(p * pixels) to a random +-epsilon per
 * channel, and keeps the change when the margin z_y - max_{i != y} z_i decreases. A draw that leaves
 * the window as it was costs its query, as in the original. The fraction p starts at 0.8 and halves
 * after iterations 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000, whatever the budget (the
 * original's schedule, not rescaled to the budget). The one difference: the original draws one
 * window and one sign vector per iteration for the whole batch, this attack one per example (the
 * same distribution for each example, without coupling the examples of a batch).
 *
 * <p>Everything runs on the batch's device: windows, signs and the accept step are arrays there,
 * drawn from the engine's generator, which the attack seeds with its own seed so that a run is
 * reproducible on a given device. Every {@value #COMPACT_EVERY} iterations the attack reads which
 * examples are still correct (its only read of the device) and drops the others from the batch it
 * queries.
 */
public final class SquareAttack implements Attack {

    private static final double P_INIT = 0.8;
    static final int COMPACT_EVERY = 10;

    private final AttackSpec spec;
    private final long seed;
    private final BooleanSupplier cancelled;

    public SquareAttack(AttackSpec spec, long seed) {
        this(spec, seed, () -> false);
    }

    public SquareAttack(AttackSpec spec, long seed, BooleanSupplier cancelled) {
        this.spec = spec;
        this.seed = seed;
        this.cancelled = cancelled;
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        NDManager parent = x.getManager();
        float eps = spec.epsilon();
        if (eps == 0f) {
            return x.duplicate();
        }
        long[] dims = x.getShape().getShape();
        int n = (int) dims[0];
        int c = (int) dims[1];
        int h = (int) dims[2];
        int w = (int) dims[3];
        int d = c * h * w;
        Engine.getInstance().setRandomSeed((int) (seed ^ (seed >>> 32)) & 0x7fffffff);
        Forward.trackParameterGradients(model, false);
        NDArray result;
        try (NDManager work = parent.newSubManager()) {
            work.tempAttachAll(x, y);
            NDArray epsilon = Scalars.of(work, eps);
            NDArray two = Scalars.of(work, 2f);
            NDArray one = Scalars.of(work, 1f);
            NDArray zero = Scalars.of(work, 0f);
            NDArray rowIndex = work.arange(0f, h, 1f, DataType.FLOAT32).reshape(1, 1, h, 1);
            NDArray colIndex = work.arange(0f, w, 1f, DataType.FLOAT32).reshape(1, 1, 1, w);
            NDArray stripes = work.randomInteger(0, 2, new Shape(n, c, 1, w), DataType.FLOAT32).mul(two).sub(one);
            // the working set: the rows of the batch still queried, their clean images, labels, best images and
            // margins; the full batch of best images is kept in `all` once the working set has shrunk
            int[] rows = allRows(n);
            NDArray index = null;
            NDArray all = null;
            NDArray xs = x;
            NDArray ys = y;
            NDArray best = x.add(stripes.mul(epsilon)).clip(0f, 1f);
            NDArray margin = margins(model, best, ys);
            for (int it = 0; it < spec.queries(); it++) {
                Attack.check(cancelled);
                if (it % COMPACT_EVERY == 0) {
                    boolean[] active;
                    try (NDArray stillCorrect = margin.gt(zero)) {
                        active = stillCorrect.toBooleanArray();
                    }
                    int[] keep = BatchRows.where(active);
                    if (keep.length == 0) {
                        break;
                    }
                    if (keep.length < rows.length) {
                        NDArray local = BatchRows.index(work, keep);
                        NDArray previousBest = best;
                        NDArray previousMargin = margin;
                        best = BatchRows.take(previousBest, local);
                        margin = BatchRows.take(previousMargin, local);
                        if (all == null) {
                            all = previousBest;
                        } else {
                            BatchRows.put(all, previousBest, index);
                            previousBest.close();
                        }
                        previousMargin.close();
                        int[] next = new int[keep.length];
                        for (int i = 0; i < keep.length; i++) {
                            next[i] = rows[keep[i]];
                        }
                        rows = next;
                        index = BatchRows.index(work, rows);
                        xs = BatchRows.take(x, index);
                        ys = BatchRows.take(y, index);
                    }
                }
                int m = rows.length;
                double p = fraction(it);
                int side = (int) Math.max(Math.round(Math.sqrt(p * d / c)), 1);
                side = Math.min(side, Math.min(h, w));
                try (NDManager s = work.newSubManager()) {
                    s.tempAttachAll(xs, ys, epsilon, two, one, zero, rowIndex, colIndex);
                    best.attach(s);
                    margin.attach(s);
                    NDArray top = s.randomInteger(0, Math.max(h - side, 1), new Shape(m, 1, 1, 1), DataType.FLOAT32);
                    NDArray left = s.randomInteger(0, Math.max(w - side, 1), new Shape(m, 1, 1, 1), DataType.FLOAT32);
                    NDArray sideScalar = Scalars.of(s, side);
                    Shape images = xs.getShape();
                    NDArray window = rowIndex.gte(top).logicalAnd(rowIndex.lt(top.add(sideScalar)))
                            .logicalAnd(colIndex.gte(left)).logicalAnd(colIndex.lt(left.add(sideScalar))).broadcast(images);
                    NDArray signs = s.randomInteger(0, 2, new Shape(m, c, 1, 1), DataType.FLOAT32).mul(two).sub(one).mul(epsilon);
                    NDArray candidate = NDArrays.where(window, xs.add(signs).clip(0f, 1f), best);
                    NDArray candidateMargin = margins(model, candidate, ys);
                    NDArray accept = margin.gt(zero).logicalAnd(candidateMargin.lt(margin));
                    NDArray nextBest = NDArrays.where(accept.reshape(m, 1, 1, 1).broadcast(images), candidate, best);
                    NDArray nextMargin = NDArrays.where(accept, candidateMargin, margin);
                    nextBest.attach(work);
                    nextMargin.attach(work);
                    best = nextBest;
                    margin = nextMargin;
                }
            }
            if (all == null) {
                all = best;
            } else {
                BatchRows.put(all, best, index);
            }
            result = all;
            result.attach(parent);
        } finally {
            Forward.trackParameterGradients(model, true);
        }
        return result;
    }

    private static int[] allRows(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    /** z_y - max_{i != y} z_i for each row of {@code images}, on the device. */
    private NDArray margins(Block model, NDArray images, NDArray labels) {
        return Losses.marginPerExample(Forward.logits(model, images, spec.trainingMode()), labels).neg();
    }

    /** Iterations after each of which the square's fraction halves (the original's schedule). */
    private static final int[] HALVINGS = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};

    /**
     * The fraction of pixels a square covers at iteration {@code it} (from 0), as AutoAttack's
     * {@code p_selection} with {@code resc_schedule=False}: the same for every query budget.
     */
    static double fraction(int it) {
        double p = P_INIT;
        for (int bound : HALVINGS) {
            if (it > bound) {
                p /= 2;
            }
        }
        return p;
    }
}
