package org.robustlab.ml.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;

/**
 * AWP's move, by its definition: every weight of more than one dimension moves by exactly gamma times its own norm, the
 * others and BatchNorm's running statistics not at all (the direction's pass runs on the model, whose statistics are
 * put back), the direction's pass leaves no gradient behind, and the move is taken back exactly, alone and through
 * {@link TrainingStep#restoreWeights()} after a step. On a ResNet-18, which has BatchNorm.
 */
class AdversarialWeightsTest {

    @Test
    void eachWeightMovesByGammaTimesItsNormAndComesBack() {
        float gamma = 0.01f;
        ModelSpec spec = ModelSpec.of(Architecture.RESNET18, DatasetId.FASHION_MNIST);
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(3);
            try (Model model = Models.create(spec, manager)) {
                Map<String, float[]> before = snapshot(model);
                List<NDArray> trainable = Models.trainableArrays(model.getBlock());
                Sgd sgd = new Sgd(trainable, 0.9f, false, 0f, model.getNDManager());
                sgd.zeroGradients();
                try (NDManager s = manager.newSubManager()) {
                    NDArray x = s.randomUniform(0f, 1f, Models.inputShape(spec, 8));
                    NDArray y = s.randomInteger(0, 10, new Shape(8), DataType.INT32);
                    AdversarialWeights.Move awp = AdversarialWeights.perturb(model.getBlock(), gamma, () -> {
                        NDArray logits = Forward.logits(model.getBlock(), x, true);
                        return Losses.crossEntropy(logits, y);
                    }, s);
                    Map<String, float[]> moved = snapshot(model);
                    int checked = 0;
                    for (Map.Entry<String, float[]> e : before.entrySet()) {
                        float[] a = e.getValue();
                        float[] b = moved.get(e.getKey());
                        double norm = 0;
                        double move = 0;
                        for (int i = 0; i < a.length; i++) {
                            norm += (double) a[i] * a[i];
                            move += (double) (b[i] - a[i]) * (b[i] - a[i]);
                        }
                        boolean isWeight = e.getKey().startsWith("W:");
                        if (isWeight && norm > 0) {
                            assertThat(Math.sqrt(move)).as(e.getKey()).isCloseTo(gamma * Math.sqrt(norm), within(1e-3 * gamma * Math.sqrt(norm)));
                            checked++;
                        } else {
                            assertThat(move).as("%s does not move", e.getKey()).isZero();
                        }
                    }
                    assertThat(checked).as("convolution kernels and the linear layer").isGreaterThan(15);
                    assertThat(awp.size()).isEqualTo(checked);
                    for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
                        if (Models.isTrainable(p.getValue())) {
                            float[] g = p.getValue().getArray().getGradient().toFloatArray();
                            assertThat(max(g)).as("the direction's pass leaves no gradient on %s", p.getKey()).isZero();
                        }
                    }
                    awp.restore();
                    Map<String, float[]> back = snapshot(model);
                    for (Map.Entry<String, float[]> e : before.entrySet()) {
                        float[] a = e.getValue();
                        float[] b = back.get(e.getKey());
                        for (int i = 0; i < a.length; i++) {
                            assertThat(b[i]).as(e.getKey()).isCloseTo(a[i], within(1e-6f + 1e-6f * Math.abs(a[i])));
                        }
                    }
                }
                // the step's own move: forward and backward at the moved weights, then restoreWeights() brings them back
                try (NDManager s = manager.newSubManager()) {
                    NDArray x = s.randomUniform(0f, 1f, Models.inputShape(spec, 8));
                    NDArray y = s.randomInteger(0, 10, new Shape(8), DataType.INT32);
                    Map<String, float[]> start = snapshot(model);
                    TrainingStep step = new TrainingStep(TrainingMethod.pgdAt(0.1f, 1, 0.025f)
                            .withWeightPerturbation(new TrainingMethod.WeightPerturbation(gamma, 0)));
                    step.forwardBackward(model.getBlock(), x, y, 0f, true, s);
                    step.restoreWeights();
                    Map<String, float[]> back = snapshot(model);
                    for (Map.Entry<String, float[]> e : start.entrySet()) {
                        if (e.getKey().startsWith("R:")) {
                            continue; // the update's own forward moves BatchNorm's statistics, as every training step does
                        }
                        float[] a = e.getValue();
                        float[] b = back.get(e.getKey());
                        for (int i = 0; i < a.length; i++) {
                            assertThat(b[i]).as(e.getKey()).isCloseTo(a[i], within(1e-6f + 1e-6f * Math.abs(a[i])));
                        }
                    }
                }
            }
        }
    }

    /** Every parameter by name: "W:" weights of more than one dimension, "P:" other trained ones, "R:" running statistics. */
    private static Map<String, float[]> snapshot(Model model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            NDArray a = p.getValue().getArray();
            String kind = !Models.isTrainable(p.getValue()) ? "R:" : a.getShape().dimension() > 1 ? "W:" : "P:";
            out.put(kind + p.getKey(), a.toFloatArray());
        }
        return out;
    }

    private static float max(float[] v) {
        float m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }
}
