package org.robustlab.ml.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Loss values on fixed logits against values worked out by hand. */
class LossesTest {

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void crossEntropyOfOneExample() {
        // -log(e^3 / (e + e^2 + e^3)) = log(1 + e^-1 + e^-2) = log(1.5032147) = 0.4076060
        NDArray ce = Losses.crossEntropy(manager.create(new float[][] {{1, 2, 3}}), manager.create(new int[] {2}));
        assertThat(ce.getFloat()).isCloseTo(0.4076060f, within(1e-6f));
    }

    @Test
    void klOfOneExampleAgainstUniform() {
        // p = softmax(1,2,3) = (0.0900306, 0.2447285, 0.6652410); KL(p || uniform) = log 3 - H(p) = 1.0986123 - 0.8323955
        NDArray kl = Losses.klBatchMean(manager.create(new float[][] {{1, 2, 3}}), manager.create(new float[][] {{1, 1, 1}}));
        assertThat(kl.getFloat()).isCloseTo(0.2662168f, within(1e-5f));
    }

    @Test
    void klIsSummedOverClassesAndAveragedOverTheBatch() {
        float[][] p = {{1, 2, 3}, {0.5f, -1, 2}};
        float[][] q = {{1, 1, 1}, {2, 0, -1}};
        double expected = (klByHand(p[0], q[0]) + klByHand(p[1], q[1])) / 2;
        NDArray kl = Losses.klBatchMean(manager.create(p), manager.create(q));
        assertThat((double) kl.getFloat()).isCloseTo(expected, within(1e-5));
        // "mean over all elements" would give a third of this; pin that we do not.
        assertThat((double) kl.getFloat()).isGreaterThan(expected / 3 + 0.1);
    }

    @Test
    void klIsZeroForIdenticalOutputs() {
        NDArray z = manager.create(new float[][] {{3, -1, 0.5f, 7}, {0, 0, 0, 0}});
        assertThat(Losses.klBatchMean(z, z.duplicate()).getFloat()).isCloseTo(0f, within(1e-7f));
        assertThat(Losses.l2Logits(z, z.duplicate()).getFloat()).isCloseTo(0f, within(1e-5f));
    }

    @Test
    void l2IsTheNormOfTheLogitDifference() {
        // ||(1,2,3) - (1,1,1)|| = ||(0,1,2)|| = sqrt(5); ||(0,0,0) - (3,4,0)|| = 5; mean = (2.2360680 + 5) / 2
        NDArray a = manager.create(new float[][] {{1, 2, 3}, {0, 0, 0}});
        NDArray b = manager.create(new float[][] {{1, 1, 1}, {3, 4, 0}});
        assertThat(Losses.l2Logits(a, b).getFloat()).isCloseTo(3.6180340f, within(1e-5f));
    }

    @Test
    void arrAndTradesLossesAddTheWeightedRegulariser() {
        NDArray clean = manager.create(new float[][] {{1, 2, 3}});
        NDArray adv = manager.create(new float[][] {{1, 1, 1}});
        NDArray y = manager.create(new int[] {2});
        // ARR-KL, lambda 2: 0.4076060 + 2 * 0.2662168
        RegularizedLoss.Parts kl = RegularizedLoss.compute(clean, adv, y, Divergence.KL, 2f);
        assertThat(kl.total().getFloat()).isCloseTo(0.9400396f, within(1e-5f));
        assertThat(kl.crossEntropy().getFloat()).isCloseTo(0.4076060f, within(1e-6f));
        assertThat(kl.regularizer().getFloat()).isCloseTo(0.2662168f, within(1e-5f));
        // ARR-L2, lambda 0.5: 0.4076060 + 0.5 * sqrt(5)
        assertThat(RegularizedLoss.compute(clean, adv, y, Divergence.L2, 0.5f).total().getFloat())
                .isCloseTo(1.5256400f, within(1e-5f));
        // TRADES, beta 6, is the KL form: 0.4076060 + 6 * 0.2662168
        assertThat(RegularizedLoss.compute(clean, adv, y, Divergence.KL, 6f).total().getFloat())
                .isCloseTo(2.0049068f, within(1e-4f));
    }

    @Test
    void marginIsPositiveExactlyWhenMisclassified() {
        NDArray z = manager.create(new float[][] {{1, 2, 3}, {1, 2, 3}});
        float[] m = Losses.marginPerExample(z, manager.create(new int[] {0, 2})).toFloatArray();
        assertThat(m[0]).isCloseTo(2f, within(1e-6f));
        assertThat(m[1]).isCloseTo(-1f, within(1e-6f));
    }

    private static double klByHand(float[] p, float[] q) {
        double[] lp = logSoftmax(p);
        double[] lq = logSoftmax(q);
        double s = 0;
        for (int i = 0; i < p.length; i++) {
            s += Math.exp(lp[i]) * (lp[i] - lq[i]);
        }
        return s;
    }

    private static double[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] - max - Math.log(sum);
        }
        return out;
    }
}
