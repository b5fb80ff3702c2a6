package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.SplittableRandom;
import org.robustlab.ml.model.Forward;

/**
 * The L-inf Square attack (Andriushchenko et al., "Square Attack: a query-efficient black-box
 * adversarial attack via random search", ECCV 2020). It uses only the model's scores, never its
 * gradients, so gradient masking does not fool it.
 *
 * <p>Start: vertical stripes of +-epsilon. Each iteration changes, for every example not yet
 * misclassified, one random square window of side sqrt(p * pixels) to a random +-epsilon per
 * channel, and keeps the change when the margin z_y - max_{i != y} z_i decreases. The fraction p
 * starts at 0.8 and halves on the paper's schedule (rescaled to the query budget). Each forward pass
 * of an example counts as one query; an example stops when it is misclassified or its budget is spent.
 * The random choices come from a seeded generator, so a run is reproducible.
 */
public final class SquareAttack implements Attack {

    private static final double P_INIT = 0.8;

    private final AttackSpec spec;
    private final long seed;
    private final java.util.function.BooleanSupplier cancelled;

    public SquareAttack(AttackSpec spec, long seed) {
        this(spec, seed, () -> false);
    }

    public SquareAttack(AttackSpec spec, long seed, java.util.function.BooleanSupplier cancelled) {
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
        float[] clean = x.toFloatArray();
        int[] labels = y.toType(DataType.INT32, false).toIntArray();
        SplittableRandom random = new SplittableRandom(seed);
        float[] best = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int col = 0; col < w; col++) {
                    float sign = random.nextBoolean() ? eps : -eps;
                    for (int row = 0; row < h; row++) {
                        int at = i * d + (ch * h + row) * w + col;
                        best[at] = clip(clean[at] + sign);
                    }
                }
            }
        }
        Forward.trackParameterGradients(model, false);
        try {
            float[] margin = margins(model, parent, best, allRows(n), d, dims, labels);
            for (int it = 1; it < spec.queries(); it++) {
                Attack.check(cancelled);
                int[] active = activeRows(margin);
                if (active.length == 0) {
                    break;
                }
                double p = fraction(it, spec.queries());
                int side = (int) Math.max(Math.round(Math.sqrt(p * d / c)), 1);
                side = Math.min(side, h - 1);
                float[] candidate = new float[active.length * d];
                for (int a = 0; a < active.length; a++) {
                    int i = active[a];
                    System.arraycopy(best, i * d, candidate, a * d, d);
                    for (int attempt = 0; attempt < 10; attempt++) {
                        int top = random.nextInt(h - side);
                        int left = random.nextInt(w - side);
                        boolean changed = false;
                        for (int ch = 0; ch < c; ch++) {
                            float sign = random.nextBoolean() ? eps : -eps;
                            for (int row = top; row < top + side; row++) {
                                for (int col = left; col < left + side; col++) {
                                    int off = (ch * h + row) * w + col;
                                    float v = clip(clean[i * d + off] + sign);
                                    changed |= Math.abs(v - best[i * d + off]) > 1e-7f;
                                    candidate[a * d + off] = v;
                                }
                            }
                        }
                        if (changed) {
                            break;
                        }
                    }
                }
                float[] m = margins(model, parent, candidate, active, d, dims, labels);
                for (int a = 0; a < active.length; a++) {
                    int i = active[a];
                    if (m[a] < margin[i]) {
                        margin[i] = m[a];
                        System.arraycopy(candidate, a * d, best, i * d, d);
                    }
                }
            }
        } finally {
            Forward.trackParameterGradients(model, true);
        }
        return parent.create(best, x.getShape()).toDevice(x.getDevice(), false);
    }

    private static float clip(float v) {
        return Math.min(1f, Math.max(0f, v));
    }

    private static int[] allRows(int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = i;
        }
        return out;
    }

    /** Examples still classified correctly (margin > 0). */
    private static int[] activeRows(float[] margin) {
        boolean[] flags = new boolean[margin.length];
        for (int i = 0; i < margin.length; i++) {
            flags[i] = margin[i] > 0;
        }
        return BatchRows.where(flags);
    }

    /** z_y - max_{i != y} z_i for each row of {@code images} (rows of the batch {@code rows}). */
    private float[] margins(Block model, NDManager parent, float[] images, int[] rows, int d, long[] dims, int[] labels) {
        try (NDManager s = parent.newSubManager()) {
            long[] shape = dims.clone();
            shape[0] = rows.length;
            NDArray batch = s.create(images, new Shape(shape)).toDevice(parent.getDevice(), false);
            float[] logits = Forward.logits(model, batch, spec.trainingMode()).toFloatArray();
            int classes = logits.length / rows.length;
            float[] out = new float[rows.length];
            for (int a = 0; a < rows.length; a++) {
                int label = labels[rows[a]];
                float other = Float.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    if (k != label) {
                        other = Math.max(other, logits[a * classes + k]);
                    }
                }
                out[a] = logits[a * classes + label] - other;
            }
            return out;
        }
    }

    /** Iterations, on a 10,000-query scale, after each of which the square's fraction halves (the paper's schedule). */
    private static final int[] HALVINGS = {10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000};

    /** The fraction of pixels a square covers at iteration {@code it} of {@code budget} (the paper's schedule). */
    static double fraction(int it, int budget) {
        int i = (int) ((long) it * 10000 / budget);
        double p = P_INIT;
        for (int bound : HALVINGS) {
            if (i > bound) {
                p /= 2;
            }
        }
        return p;
    }
}
