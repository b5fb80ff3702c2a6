package org.robustlab.ml.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.NamedSequential;
import org.robustlab.ml.model.Normalize;
import org.robustlab.testing.UntrainedModels;

class AttackTest {

    private NDManager manager;
    private Model model;
    private NDArray x;
    private NDArray y;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(3);
        model = UntrainedModels.smallCnn(manager);
        x = manager.randomUniform(0f, 1f, new Shape(16, 1, 28, 28));
        y = manager.randomInteger(0, 10, new Shape(16), DataType.INT32);
    }

    @AfterEach
    void tearDown() {
        model.close();
        manager.close();
    }

    static List<AttackSpec> attacks() {
        return List.of(
                AttackSpec.fgsm(0.1f),
                AttackSpec.fgsmRandomStart(0.1f),
                AttackSpec.pgd(0.1f, 5, 0.025f),
                AttackSpec.pgd(0.3f, 3, 0.1f).withRestarts(3),
                AttackSpec.pgd(0.1f, 4, 0.05f).withObjective(AttackSpec.Objective.CW),
                AttackSpec.pgd(0.1f, 3, 0.03f).withObjective(AttackSpec.Objective.KL),
                AttackSpec.pgd(0.1f, 3, 0.05f).withTrainingMode(true));
    }

    @ParameterizedTest
    @MethodSource("attacks")
    void linfAttacksStayInTheBallAndInTheUnitBox(AttackSpec spec) {
        NDArray adv = new GradientAttack(spec).perturb(model.getBlock(), x, y);
        float maxDist = adv.sub(x).abs().max().getFloat();
        assertThat(maxDist).isLessThanOrEqualTo(spec.epsilon() + 1e-6f).isGreaterThan(0f);
        assertThat(adv.min().getFloat()).isGreaterThanOrEqualTo(0f);
        assertThat(adv.max().getFloat()).isLessThanOrEqualTo(1f);
        assertThat(adv.getShape()).isEqualTo(x.getShape());
    }

    @Test
    void l2AttackStaysInTheL2Ball() {
        float eps = 1.5f;
        NDArray adv = new GradientAttack(AttackSpec.pgdL2(eps, 5, 0.5f)).perturb(model.getBlock(), x, y);
        float[] norms = adv.sub(x).square().sum(new int[] {1, 2, 3}).sqrt().toFloatArray();
        for (float n : norms) {
            assertThat(n).isLessThanOrEqualTo(eps + 1e-4f);
        }
        assertThat(adv.min().getFloat()).isGreaterThanOrEqualTo(0f);
        assertThat(adv.max().getFloat()).isLessThanOrEqualTo(1f);
    }

    @Test
    void pgdRaisesTheLossAboveTheCleanLoss() {
        Block block = model.getBlock();
        float clean = Losses.crossEntropy(Forward.logits(block, x, false), y).getFloat();
        NDArray adv = new GradientAttack(AttackSpec.pgd(0.1f, 10, 0.025f)).perturb(block, x, y);
        float attacked = Losses.crossEntropy(Forward.logits(block, adv, false), y).getFloat();
        assertThat(attacked).isGreaterThan(clean);
        float[] perClean = Losses.crossEntropyPerExample(Forward.logits(block, x, false), y).toFloatArray();
        float[] perAdv = Losses.crossEntropyPerExample(Forward.logits(block, adv, false), y).toFloatArray();
        for (int i = 0; i < perClean.length; i++) {
            assertThat(perAdv[i]).isGreaterThanOrEqualTo(perClean[i] - 1e-4f);
        }
    }

    @Test
    void attacksLeaveNoGradientOnParametersAndDoNotTouchThem() {
        Block block = model.getBlock();
        float[] before = block.getParameters().get(0).getValue().getArray().toFloatArray();
        new GradientAttack(AttackSpec.pgd(0.1f, 3, 0.03f)).perturb(block, x, y);
        assertNoGradientOnParameters(block);
        assertThat(block.getParameters().get(0).getValue().getArray().toFloatArray()).containsExactly(before);
    }

    /** Every trained parameter still tracks gradients, and its gradient is zero. */
    static void assertNoGradientOnParameters(Block block) {
        for (Parameter p : block.getParameters().values()) {
            if (Models.isTrainable(p)) {
                assertThat(p.getArray().hasGradient()).as(p.getName() + " still trainable").isTrue();
                try (NDArray g = p.getArray().getGradient()) {
                    assertThat(g.abs().sum().getFloat()).as(p.getName()).isEqualTo(0f);
                }
            }
        }
    }

    @Test
    void attackFreesItsIntermediateArrays() {
        Block block = model.getBlock();
        try (NDManager step = manager.newSubManager()) {
            NDArray xs = x.duplicate();
            xs.attach(step);
            NDArray ys = y.duplicate();
            ys.attach(step);
            new GradientAttack(AttackSpec.pgd(0.1f, 5, 0.025f).withRestarts(2)).perturb(block, xs, ys);
            // x, y and the result: nothing else the attack made is left in the caller's manager.
            assertThat(step.getManagedArrays()).hasSize(3);
        }
    }

    @Test
    void inputGradientMatchesFiniteDifferences() {
        try (NDManager m = NDManager.newBaseManager()) {
            Block block = new NamedSequential()
                    .add("normalize", new Normalize(new float[] {0.5f}, new float[] {0.25f}))
                    .add("net", new NamedSequential()
                            .add("conv", Conv2d.builder().setKernelShape(new Shape(3, 3)).setFilters(2).build())
                            .add("act", Activation.tanhBlock())
                            .add("flat", Blocks.batchFlattenBlock())
                            .add("fc", Linear.builder().setUnits(3).build()));
            block.initialize(m, DataType.FLOAT64, new Shape(2, 1, 5, 5));
            NDArray input = m.randomUniform(0f, 1f, new Shape(2, 1, 5, 5)).toType(DataType.FLOAT64, false);
            NDArray labels = m.create(new int[] {0, 2});
            double[] grad;
            try (GradientCollector gc = m.getEngine().newGradientCollector()) {
                NDArray xi = input.duplicate();
                xi.setRequiresGradient(true);
                gc.backward(Losses.crossEntropyPerExample(Forward.logits(block, xi, false), labels).sum());
                grad = xi.getGradient().toDoubleArray();
            }
            double[] base = input.toDoubleArray();
            double h = 1e-6;
            for (int i = 0; i < base.length; i += 7) {
                double[] plus = base.clone();
                double[] minus = base.clone();
                plus[i] += h;
                minus[i] -= h;
                double fd = (loss(block, m, plus, labels) - loss(block, m, minus, labels)) / (2 * h);
                assertThat(grad[i]).as("d loss / d x[%d]", i).isCloseTo(fd, within(1e-6 + 1e-4 * Math.abs(fd)));
            }
        }
    }

    private static double loss(Block block, NDManager m, double[] values, NDArray labels) {
        try (NDManager s = m.newSubManager()) {
            NDArray xi = s.create(values, new Shape(2, 1, 5, 5));
            return Losses.crossEntropyPerExample(Forward.logits(block, xi, false), labels).sum().getDouble();
        }
    }

    @Test
    void restartsKeepEachExamplesWorstCase() {
        Block block = model.getBlock();
        Engine.getInstance().setRandomSeed(11);
        NDArray one = new GradientAttack(AttackSpec.pgd(0.3f, 2, 0.1f)).perturb(block, x, y);
        Engine.getInstance().setRandomSeed(11);
        NDArray four = new GradientAttack(AttackSpec.pgd(0.3f, 2, 0.1f).withRestarts(4)).perturb(block, x, y);
        float[] l1 = Losses.crossEntropyPerExample(Forward.logits(block, one, false), y).toFloatArray();
        float[] l4 = Losses.crossEntropyPerExample(Forward.logits(block, four, false), y).toFloatArray();
        int[] p1 = Forward.logits(block, one, false).argMax(1).toType(DataType.INT32, false).toIntArray();
        int[] p4 = Forward.logits(block, four, false).argMax(1).toType(DataType.INT32, false).toIntArray();
        int[] labels = y.toIntArray();
        for (int i = 0; i < l1.length; i++) {
            boolean fooled1 = p1[i] != labels[i];
            boolean fooled4 = p4[i] != labels[i];
            // the first restart is the single run; the kept one is never less harmful
            assertThat(fooled4 || !fooled1).isTrue();
            if (fooled4 == fooled1) {
                assertThat(l4[i]).isGreaterThanOrEqualTo(l1[i] - 1e-5f);
            }
        }
    }
}
