package org.robustlab.ml.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.util.Pair;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.NamedSequential;
import org.robustlab.testing.UntrainedModels;

/**
 * FAB against arithmetic done by hand: the L-inf projection onto a hyperplane within the box, checked row by row
 * against a bisection in double precision; on a linear model, where the nearest boundary is known in closed form,
 * FAB finds it (to within its overshoot) and breaks nothing when epsilon is below it; and on a CNN its examples stay
 * in the epsilon ball and in [0,1].
 */
class FabTest {

    @Test
    void theProjectionTakesTheSmallestLinfStepOntoTheHyperplaneInsideTheBox() {
        int rows = 40;
        int dims = 9;
        Random random = new Random(11);
        float[] t = new float[rows * dims];
        float[] w = new float[rows * dims];
        float[] b = new float[rows];
        for (int r = 0; r < rows; r++) {
            double dot = 0;
            double l1 = 0;
            for (int i = 0; i < dims; i++) {
                t[r * dims + i] = random.nextFloat();
                w[r * dims + i] = i == r % dims ? 0f : (float) random.nextGaussian();
                dot += w[r * dims + i] * t[r * dims + i];
                l1 += Math.abs(w[r * dims + i]);
            }
            // most rows reachable, every fifth one beyond what the box allows
            double reach = r % 5 == 4 ? 3 * l1 : 0.4 * l1;
            b[r] = (float) (dot + (random.nextBoolean() ? 1 : -1) * reach * random.nextDouble());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float[] d = Fab.projectLinf(m.create(t, new Shape(rows, dims)), m.create(w, new Shape(rows, dims)), m.create(b))
                    .toFloatArray();
            for (int r = 0; r < rows; r++) {
                double dot = 0;
                double need = b[r];
                double norm = 0;
                for (int i = 0; i < dims; i++) {
                    double moved = t[r * dims + i] + d[r * dims + i];
                    assertThat(moved).as("row %d, coordinate %d inside [0,1]", r, i).isBetween(-1e-6, 1 + 1e-6);
                    dot += w[r * dims + i] * moved;
                    need -= w[r * dims + i] * t[r * dims + i];
                    norm = Math.max(norm, Math.abs(d[r * dims + i]));
                }
                double[] reach = reach(t, w, r, dims, need);
                if (reach[1] >= Math.abs(need)) {
                    assertThat(dot).as("row %d on its hyperplane", r).isCloseTo(b[r], within(1e-4 * (1 + Math.abs(b[r]))));
                    assertThat(norm).as("row %d: the smallest L-inf step", r).isCloseTo(reach[0], within(1e-4));
                } else {
                    // out of reach: every coordinate goes as far as the box allows towards the hyperplane
                    assertThat(Math.abs(dot - b[r])).as("row %d as close as the box allows", r)
                            .isCloseTo(Math.abs(need) - reach[1], within(1e-3 * (1 + Math.abs(need))));
                }
            }
        }
    }

    /**
     * For row r, moving each coordinate by at most lambda in the direction that brings w . x towards b: the lambda
     * that closes the gap {@code need} (by bisection), and the most the box allows at all.
     */
    private static double[] reach(float[] t, float[] w, int r, int dims, double need) {
        double most = gain(t, w, r, dims, need, 1.0);
        double lo = 0;
        double hi = 1;
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (gain(t, w, r, dims, need, mid) >= Math.abs(need)) {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        return new double[] {hi, most};
    }

    private static double gain(float[] t, float[] w, int r, int dims, double need, double lambda) {
        double g = 0;
        for (int i = 0; i < dims; i++) {
            double wi = w[r * dims + i];
            boolean up = (wi > 0) == (need > 0);
            double room = up ? 1 - t[r * dims + i] : t[r * dims + i];
            g += Math.abs(wi) * Math.min(lambda, room);
        }
        return g;
    }

    @Test
    void onALinearModelFabFindsTheNearestBoundaryAndNoCloserOne() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            int classes = 4;
            Block block = new NamedSequential()
                    .add("flat", Blocks.batchFlattenBlock())
                    .add("fc", Linear.builder().setUnits(classes).build());
            block.initialize(m, DataType.FLOAT32, new Shape(1, 1, 2, 3));
            float[] weights = {0.8f, -0.5f, 0.3f, 0.1f, -0.2f, 0.6f, -0.7f, 0.4f, 0.2f, -0.3f, 0.5f, 0.1f,
                    0.2f, 0.3f, -0.6f, 0.9f, 0.1f, -0.4f, -0.1f, -0.2f, 0.4f, -0.5f, 0.7f, 0.3f};
            for (Pair<String, Parameter> p : block.getParameters()) {
                NDArray array = p.getValue().getArray();
                if (p.getKey().endsWith("weight")) {
                    m.create(weights, new Shape(classes, 6)).copyTo(array);
                } else {
                    m.zeros(array.getShape()).copyTo(array);
                }
            }
            // inputs near the middle of the box, so that the box does not bind at these distances
            NDArray x = m.randomUniform(0.45f, 0.55f, new Shape(12, 1, 2, 3));
            NDArray logits = Forward.logits(block, x, false);
            NDArray y = logits.argMax(1).toType(DataType.INT32, false);
            float[] f = logits.toFloatArray();
            int[] labels = y.toIntArray();
            double[] nearest = new double[labels.length];
            double[] second = new double[labels.length];
            for (int i = 0; i < labels.length; i++) {
                nearest[i] = Double.MAX_VALUE;
                double secondLogit = -Double.MAX_VALUE;
                int secondClass = -1;
                for (int k = 0; k < classes; k++) {
                    if (k == labels[i]) {
                        continue;
                    }
                    double l1 = 0;
                    for (int j = 0; j < 6; j++) {
                        l1 += Math.abs(weights[labels[i] * 6 + j] - weights[k * 6 + j]);
                    }
                    double distance = (f[i * classes + labels[i]] - f[i * classes + k]) / l1;
                    nearest[i] = Math.min(nearest[i], distance);
                    if (f[i * classes + k] > secondLogit) {
                        secondLogit = f[i * classes + k];
                        secondClass = k;
                        second[i] = distance;
                    }
                }
                assertThat(secondClass).isNotNegative();
            }
            double closest = java.util.Arrays.stream(nearest).min().orElseThrow();
            double farthest = java.util.Arrays.stream(nearest).max().orElseThrow();

            NDArray adv = new Fab(AttackSpec.fab(0.3f, 30, 1)).perturb(block, x, y);
            float[] dist = adv.sub(x).abs().reshape(12, -1).max(new int[] {1}).toFloatArray();
            int[] after = Forward.logits(block, adv, false).argMax(1).toType(DataType.INT32, false).toIntArray();
            for (int i = 0; i < labels.length; i++) {
                assertThat(after[i]).as("example %d is broken", i).isNotEqualTo(labels[i]);
                assertThat((double) dist[i]).as("example %d: FAB's distance against the nearest boundary %.5f", i, nearest[i])
                        .isBetween(nearest[i] - 1e-4, nearest[i] * Fab.ETA + 1e-4);
            }
            NDArray targeted = new Fab(AttackSpec.fabT(0.3f, 30, 1)).perturb(block, x, y);
            float[] toSecond = targeted.sub(x).abs().reshape(12, -1).max(new int[] {1}).toFloatArray();
            for (int i = 0; i < labels.length; i++) {
                assertThat((double) toSecond[i]).as("example %d: FAB-T's distance to the boundary of its most likely wrong class", i)
                        .isBetween(second[i] - 1e-4, second[i] * Fab.ETA + 1e-4);
            }
            // below every example's nearest boundary nothing can be broken, and nothing changes
            NDArray none = new Fab(AttackSpec.fab((float) (0.95 * closest), 30, 2)).perturb(block, x, y);
            assertThat(none.sub(x).abs().max().getFloat()).isZero();
            assertThat(farthest).isGreaterThan(closest);
        }
    }

    @Test
    void fabAndFabTStayInTheBallAndTheBoxOnACnn() {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(7);
            Model model = UntrainedModels.smallCnn(m);
            NDArray x = m.randomUniform(0f, 1f, new Shape(8, 1, 28, 28));
            NDArray y = Forward.logits(model.getBlock(), x, false).argMax(1).toType(DataType.INT32, false);
            for (AttackSpec spec : new AttackSpec[] {AttackSpec.fab(0.05f, 5, 2), AttackSpec.fabT(0.05f, 5, 3)}) {
                NDArray adv = new Fab(spec).perturb(model.getBlock(), x, y);
                assertThat(adv.getShape()).isEqualTo(x.getShape());
                assertThat(adv.sub(x).abs().max().getFloat()).as(spec.label()).isLessThanOrEqualTo(spec.epsilon() + 1e-6f);
                assertThat(adv.min().getFloat()).isGreaterThanOrEqualTo(0f);
                assertThat(adv.max().getFloat()).isLessThanOrEqualTo(1f);
                assertThat(adv.hasGradient()).isFalse();
            }
            model.close();
        }
    }
}
