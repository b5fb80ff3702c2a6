package org.robustlab.ml.attack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.List;
import java.util.concurrent.CancellationException;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.testing.UntrainedModels;

/** Invariants of APGD, Square and the ensemble, and the DLR losses on logits worked out by hand. */
class StrongAttackTest {

    private NDManager manager;
    private Model model;
    private NDArray x;
    private NDArray y;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
        Engine.getInstance().setRandomSeed(5);
        model = UntrainedModels.smallCnn(manager);
        x = manager.randomUniform(0f, 1f, new Shape(12, 1, 28, 28));
        // labels = the model's own predictions, so that every example starts correctly classified and is attacked
        y = Forward.logits(model.getBlock(), x, false).argMax(1).toType(DataType.INT32, false);
    }

    @AfterEach
    void tearDown() {
        model.close();
        manager.close();
    }

    static List<AttackSpec> attacks() {
        return List.of(AttackSpec.apgdCe(0.05f, 10), AttackSpec.apgdDlr(0.05f, 10), AttackSpec.apgdT(0.05f, 6, 3),
                AttackSpec.square(0.05f, 40), AttackSpec.square(0.05f, 15).withRestarts(2), AttackSpec.apgdCe(0.05f, 4).withEot(3),
                AttackSpec.ensemble(0.05f, 6, 2, 30), AttackSpec.autoAttack("plus", 0.05f, 3, 2, 10),
                AttackSpec.autoAttack("rand", 0.05f, 3, 2, 10).withEpsilon(0.04f),
                AttackSpec.customEnsemble(0.05f, List.of(AttackSpec.fgsm(0.05f), AttackSpec.fab(0.05f, 4, 1))));
    }

    @ParameterizedTest
    @MethodSource("attacks")
    void strongAttacksStayInTheBallAndTheUnitBoxAndLeaveParametersAlone(AttackSpec spec) {
        Block block = model.getBlock();
        float[] before = block.getParameters().get(0).getValue().getArray().toFloatArray();
        NDArray adv = Attack.of(spec, 9).perturb(block, x, y);
        assertThat(adv.getShape()).isEqualTo(x.getShape());
        assertThat(adv.sub(x).abs().max().getFloat()).isLessThanOrEqualTo(spec.epsilon() + 1e-6f).isGreaterThan(0f);
        assertThat(adv.min().getFloat()).isGreaterThanOrEqualTo(0f);
        assertThat(adv.max().getFloat()).isLessThanOrEqualTo(1f);
        assertThat(adv.hasGradient()).isFalse();
        AttackTest.assertNoGradientOnParameters(block);
        assertThat(block.getParameters().get(0).getValue().getArray().toFloatArray()).containsExactly(before);
    }

    @Test
    void apgdRaisesItsLossAboveTheStartOnEveryExample() {
        // With momentum and step halving, the best point APGD returns is never worse than the clean point
        // for examples it does not fool: its loss is at least the clean loss.
        Block block = model.getBlock();
        NDArray adv = Attack.of(AttackSpec.apgdCe(0.05f, 20), 1).perturb(block, x, y);
        float[] clean = Losses.crossEntropyPerExample(Forward.logits(block, x, false), y).toFloatArray();
        float[] attacked = Losses.crossEntropyPerExample(Forward.logits(block, adv, false), y).toFloatArray();
        for (int i = 0; i < clean.length; i++) {
            assertThat(attacked[i]).as("example %d", i).isGreaterThan(clean[i]);
        }
    }

    @Test
    void squareIsReproducibleAndMovesEveryPixelToTheBallsSurfaceOrTheBox() {
        Block block = model.getBlock();
        float eps = 0.05f;
        NDArray a = new SquareAttack(AttackSpec.square(eps, 25), 42).perturb(block, x, y);
        NDArray b = new SquareAttack(AttackSpec.square(eps, 25), 42).perturb(block, x, y);
        assertThat(a.toFloatArray()).containsExactly(b.toFloatArray());
        float[] xs = x.toFloatArray();
        float[] as = a.toFloatArray();
        for (int i = 0; i < xs.length; i++) {
            float up = Math.min(1f, xs[i] + eps);
            float down = Math.max(0f, xs[i] - eps);
            assertThat(Math.abs(as[i] - up) < 1e-6f || Math.abs(as[i] - down) < 1e-6f).as("pixel %d", i).isTrue();
        }
    }

    @Test
    void squareScheduleHalvesTheSquareOnAutoAttacksScheduleWhateverTheBudget() {
        // autoattack/square.py p_selection with resc_schedule=False: p_init for it <= 10, p_init / 2 for 10 < it <= 50, ...
        assertThat(SquareAttack.fraction(0)).isEqualTo(0.8);
        assertThat(SquareAttack.fraction(10)).isEqualTo(0.8);
        assertThat(SquareAttack.fraction(11)).isEqualTo(0.4);
        assertThat(SquareAttack.fraction(50)).isEqualTo(0.4);
        assertThat(SquareAttack.fraction(51)).isEqualTo(0.2);
        assertThat(SquareAttack.fraction(4000)).isEqualTo(0.8 / 64);
        assertThat(SquareAttack.fraction(4999)).isEqualTo(0.8 / 128);
        assertThat(SquareAttack.fraction(9999)).isEqualTo(0.8 / 512);
    }

    @Test
    void dlrLossesMatchHandArithmetic() {
        // logits (3, 1, 2, 0), label 0: sorted 3 > 2 > 1 > 0
        NDArray logits = manager.create(new float[] {3, 1, 2, 0}, new Shape(1, 4));
        NDArray label = manager.create(new int[] {0});
        // DLR = -(z_y - max_{i != y} z_i) / (z1 - z3) = -(3 - 2) / (3 - 1) = -0.5
        assertThat(Apgd.dlr(logits, label).getFloat(0)).isCloseTo(-0.5f, within(1e-6f));
        // targeted towards class 2: -(z_y - z_t) / (z1 - (z3 + z4) / 2) = -(3 - 2) / (3 - 0.5) = -0.4
        assertThat(Apgd.dlrTargeted(logits, label, manager.create(new int[] {2})).getFloat(0)).isCloseTo(-0.4f, within(1e-6f));
        // label 3 (misclassified): -(0 - 3) / 2 = 1.5
        assertThat(Apgd.dlr(logits, manager.create(new int[] {3})).getFloat(0)).isCloseTo(1.5f, within(1e-6f));
    }

    @Test
    void ensembleIsAtLeastAsStrongAsItsFirstStage() {
        Block block = model.getBlock();
        Engine.getInstance().setRandomSeed(7);
        NDArray apgd = Attack.of(AttackSpec.apgdCe(0.03f, 8), 1).perturb(block, x, y);
        Engine.getInstance().setRandomSeed(7);
        NDArray ensemble = Attack.of(AttackSpec.ensemble(0.03f, 8, 2, 20), 1).perturb(block, x, y);
        int[] labels = y.toIntArray();
        int[] pa = Forward.logits(block, apgd, false).argMax(1).toType(DataType.INT32, false).toIntArray();
        int[] pe = Forward.logits(block, ensemble, false).argMax(1).toType(DataType.INT32, false).toIntArray();
        for (int i = 0; i < labels.length; i++) {
            if (pa[i] != labels[i]) {
                assertThat(pe[i]).as("example %d, broken by APGD-CE", i).isNotEqualTo(labels[i]);
            }
        }
    }

    @Test
    void autoAttacksVersionsRunTheirStagesWithTheirBudgets() {
        assertThat(AttackSpec.autoAttack("standard", 0.03f, 100, 9, 5000).stages()).extracting(AttackSpec::label)
                .containsExactly("apgd-ce-100", "apgd-t-100x9", "fab-t-100x9", "square-5000");
        assertThat(AttackSpec.autoAttack("plus", 0.03f, 100, 9, 5000).stages()).extracting(AttackSpec::label)
                .containsExactly("apgd-ce-100x5", "apgd-dlr-100x5", "fab-100x5", "square-5000x5", "apgd-t-100x9", "fab-t-100x9");
        assertThat(AttackSpec.autoAttack("rand", 0.03f, 100, 9, 5000).stages()).extracting(AttackSpec::label)
                .containsExactly("apgd-ce-100-eot20", "apgd-dlr-100-eot20");
        assertThat(AttackSpec.ensemble(0.03f, 100, 9, 5000).label()).isEqualTo("ensemble");
        assertThat(AttackSpec.autoAttack("plus", 0.03f, 100, 9, 5000).label()).isEqualTo("ensemble-plus");
        // every stage runs at the ensemble's epsilon, also after the epsilon changes
        assertThat(AttackSpec.autoAttack("standard", 0.03f, 10, 3, 50).withEpsilon(0.1f).stages())
                .allSatisfy(stage -> assertThat(stage.epsilon()).isEqualTo(0.1f));
        // an ensemble stored before ensembles named their stages is the standard version with its budgets
        AttackSpec old = new AttackSpec(AttackSpec.AttackType.ENSEMBLE, AttackSpec.Norm.LINF, 0.03f, 50, 0.06f, true, 3,
                AttackSpec.Objective.CE, false, 400, null);
        assertThat(old.stages()).extracting(AttackSpec::label).containsExactly("apgd-ce-50", "apgd-t-50x3", "fab-t-50x3", "square-400");
        assertThatThrownBy(() -> AttackSpec.customEnsemble(0.03f, List.of(AttackSpec.ensemble(0.03f, 10, 2, 10))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCustomEnsembleOfOneDeterministicAttackIsThatAttack() {
        Block block = model.getBlock();
        NDArray fgsm = Attack.of(AttackSpec.fgsm(0.05f), 1).perturb(block, x, y);
        NDArray ensemble = Attack.of(AttackSpec.customEnsemble(0.05f, List.of(AttackSpec.fgsm(0.05f))), 1).perturb(block, x, y);
        int[] broken = Forward.logits(block, fgsm, false).argMax(1).toType(DataType.INT32, false).neq(y).toType(DataType.INT32, false)
                .toIntArray();
        float[] a = fgsm.toFloatArray();
        float[] e = ensemble.toFloatArray();
        int per = a.length / broken.length;
        for (int i = 0; i < broken.length; i++) {
            for (int j = 0; j < per; j += 37) {
                // a broken example takes FGSM's point; an unbroken one keeps its clean image
                float expected = broken[i] == 1 ? a[i * per + j] : x.toFloatArray()[i * per + j];
                assertThat(e[i * per + j]).as("example %d", i).isEqualTo(expected);
            }
        }
    }

    @Test
    void longAttacksStopWhenCancelledAndLeaveNothingBehind() {
        Block block = model.getBlock();
        for (AttackSpec spec : List.of(AttackSpec.apgdCe(0.05f, 50), AttackSpec.square(0.05f, 500), AttackSpec.ensemble(0.05f, 50, 2, 500))) {
            int[] calls = {0};
            try (NDManager step = manager.newSubManager()) {
                NDArray xs = x.duplicate();
                xs.attach(step);
                NDArray ys = y.duplicate();
                ys.attach(step);
                Attack attack = Attack.of(spec, 1, () -> ++calls[0] > 3);
                Assertions.assertThatThrownBy(() -> attack.perturb(block, xs, ys))
                        .as(spec.label()).isInstanceOf(CancellationException.class);
                assertThat(step.getManagedArrays()).as(spec.label()).hasSize(2);
            }
            AttackTest.assertNoGradientOnParameters(block);
        }
    }
}
