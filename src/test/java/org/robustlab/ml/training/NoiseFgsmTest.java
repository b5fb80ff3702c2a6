package org.robustlab.ml.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.attack.GradientAttack;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;

/** N-FGSM's perturbation: in [0,1], within noise + alpha of x and not projected onto the epsilon ball; without noise, FGSM. */
class NoiseFgsmTest {

    private NDManager manager;
    private Model model;
    private NDArray x;
    private NDArray y;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager);
        Engine.getInstance().setRandomSeed(5);
        x = manager.randomUniform(0f, 1f, new Shape(8, 1, 28, 28));
        y = manager.create(new int[] {0, 1, 2, 3, 4, 5, 6, 7});
    }

    @AfterEach
    void close() {
        model.close();
        manager.close();
    }

    private static AttackSpec fgsm(float epsilon, float alpha) {
        return new AttackSpec(AttackSpec.AttackType.FGSM, AttackSpec.Norm.LINF, epsilon, 1, alpha, false, 1, AttackSpec.Objective.CE,
                true, 0, null);
    }

    @Test
    void theStepStartsFromTheNoiseAndIsNotProjectedBack() {
        float eps = 0.1f;
        float noise = 0.2f;
        NDArray adv = new NoiseFgsm(fgsm(eps, eps), noise).perturb(model.getBlock(), x, y);
        float[] xs = x.toFloatArray();
        float[] as = adv.toFloatArray();
        int beyond = 0;
        for (int i = 0; i < xs.length; i++) {
            assertThat(as[i]).isBetween(0f, 1f);
            float d = Math.abs(as[i] - xs[i]);
            assertThat(d).as("pixel %d", i).isLessThanOrEqualTo(noise + eps + 1e-6f);
            if (d > eps + 1e-4f) {
                beyond++;
            }
        }
        // noise uniform in [-0.2, 0.2] and a step of 0.1: about half the pixels end more than epsilon away
        assertThat(beyond).as("pixels beyond the epsilon ball").isGreaterThan(xs.length / 4);
    }

    @Test
    void withoutNoiseItIsOneFgsmStep() {
        float eps = 0.1f;
        NDArray ours = new NoiseFgsm(fgsm(eps, eps), 0f).perturb(model.getBlock(), x, y);
        NDArray fgsm = new GradientAttack(fgsm(eps, eps)).perturb(model.getBlock(), x, y);
        assertThat(ours.toFloatArray()).containsExactly(fgsm.toFloatArray());
    }
}
