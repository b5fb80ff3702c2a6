package org.robustlab.ml.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.loss.Divergence;

/** SGD, schedules, warm-up and the collapse rule against values worked out by hand. */
class OptimizationTest {

    /** Two steps on loss = c . p with c = (1, -2), p0 = (1, 2), lr 0.5, momentum 0.9, weight decay 0.1. */
    @Test
    void sgdFollowsPyTorchsUpdateRule() {
        float[] plain = twoSteps(false);
        // step 1: d = c + 0.1 p0 = (1.1, -1.8); buf = d; p1 = p0 - 0.5 d = (0.45, 2.9)
        // step 2: d = c + 0.1 p1 = (1.045, -1.71); buf = 0.9 buf + d = (2.035, -3.33); p2 = p1 - 0.5 buf = (-0.5675, 4.565)
        assertThat(plain[0]).isCloseTo(-0.5675f, within(1e-5f));
        assertThat(plain[1]).isCloseTo(4.565f, within(1e-5f));
        float[] nesterov = twoSteps(true);
        // step 1: d = (1.1, -1.8); buf = d; update = d + 0.9 buf = (2.09, -3.42); p1 = (-0.045, 3.71)
        // step 2: d = c + 0.1 p1 = (0.9955, -1.629); buf = 0.9 (1.1, -1.8) + d = (1.9855, -3.249);
        //         update = d + 0.9 buf = (2.78245, -4.5531); p2 = p1 - 0.5 update = (-1.436225, 5.98655)
        assertThat(nesterov[0]).isCloseTo(-1.436225f, within(1e-5f));
        assertThat(nesterov[1]).isCloseTo(5.98655f, within(1e-5f));
    }

    private static float[] twoSteps(boolean nesterov) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = m.create(new float[] {1, 2});
            p.setRequiresGradient(true);
            NDArray c = m.create(new float[] {1, -2});
            Sgd sgd = new Sgd(List.of(p), 0.9f, nesterov, 0.1f, m);
            for (int i = 0; i < 2; i++) {
                try (NDManager s = m.newSubManager(); GradientCollector gc = s.getEngine().newGradientCollector()) {
                    s.tempAttachAll(c);
                    gc.backward(p.mul(c).sum());
                }
                sgd.step(0.5f);
                try (NDArray g = p.getGradient()) {
                    assertThat(g.toFloatArray()).containsExactly(0f, 0f);
                }
            }
            float[][] state = sgd.state();
            assertThat(state[0]).hasSize(2);
            return p.toFloatArray();
        }
    }

    @Test
    void schedulesHaveTheirShapes() {
        Schedule paper = Schedule.paper(200);
        assertThat(paper.milestones()).containsExactly(100.0, 150.0);
        assertThat(paper.at(0.1f, 99.99, 200)).isCloseTo(0.1f, within(1e-7f));
        assertThat(paper.at(0.1f, 100, 200)).isCloseTo(0.01f, within(1e-7f));
        assertThat(paper.at(0.1f, 150.5, 200)).isCloseTo(0.001f, within(1e-8f));
        // a 1-epoch run decays half-way through its epoch, not from its first batch
        Schedule shortRun = Schedule.paper(1);
        assertThat(shortRun.at(0.1f, 0.0, 1)).isEqualTo(0.1f);
        assertThat(shortRun.at(0.1f, 0.49, 1)).isEqualTo(0.1f);
        assertThat(shortRun.at(0.1f, 0.5, 1)).isCloseTo(0.01f, within(1e-8f));
        assertThat(shortRun.at(0.1f, 0.8, 1)).isCloseTo(0.001f, within(1e-9f));
        assertThat(Schedule.multistep(List.of(2, 4), 0.5f).at(1f, 3.9, 10)).isEqualTo(0.5f);
        Schedule cosine = Schedule.cosine();
        assertThat(cosine.at(0.2f, 0, 10)).isCloseTo(0.2f, within(1e-7f));
        assertThat(cosine.at(0.2f, 5, 10)).isCloseTo(0.1f, within(1e-7f));
        assertThat(cosine.at(0.2f, 10, 10)).isCloseTo(0f, within(1e-7f));
        Schedule tri = Schedule.piecewiseLinear(0.4f);
        assertThat(tri.at(0.2f, 0, 10)).isZero();
        assertThat(tri.at(0.2f, 2, 10)).isCloseTo(0.1f, within(1e-7f));
        assertThat(tri.at(0.2f, 4, 10)).isCloseTo(0.2f, within(1e-7f));
        assertThat(tri.at(0.2f, 7, 10)).isCloseTo(0.1f, within(1e-7f));
        assertThat(Schedule.constant().at(0.3f, 7, 10)).isEqualTo(0.3f);
        assertThat(Schedule.Type.fromId("piecewise-linear")).isEqualTo(Schedule.Type.PIECEWISE_LINEAR);
    }

    @Test
    void lambdaWarmsUpLinearly() {
        TrainingMethod arr = TrainingMethod.arr(6f, Divergence.KL, AttackSpec.fgsm(0.1f)).withWarmup(3);
        assertThat(arr.weightAt(0)).isZero();
        assertThat(arr.weightAt(1.5)).isCloseTo(3f, within(1e-6f));
        assertThat(arr.weightAt(3)).isEqualTo(6f);
        assertThat(arr.weightAt(10)).isEqualTo(6f);
        assertThat(TrainingMethod.arr(6f, Divergence.KL, AttackSpec.fgsm(0.1f)).weightAt(0)).isEqualTo(6f);
    }

    @Test
    void collapseIsADropBelowTheBestByMoreThanTheThreshold() {
        assertThat(TrainingLoop.collapsed(0.45, 0.02, 0.2f)).isTrue();
        assertThat(TrainingLoop.collapsed(0.45, 0.30, 0.2f)).isFalse();
        assertThat(TrainingLoop.collapsed(0.45, 0.02, 0f)).isFalse();
    }
}
