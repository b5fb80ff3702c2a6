package org.robustlab.ml.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;

/** The cost estimates against arithmetic done by hand (the units and rules are ComputeCost's Javadoc). */
class ComputeCostTest {

    @Test
    void thePapersArrRunOnResNet18() {
        // 200 epochs x (50,000 images x (3 x 1 + 6) + 1,000 validation images x (2 + 3 x 10)) x 57
        TrainingPlan paper = TrainingPlan.defaults(DatasetId.CIFAR10, Architecture.RESNET18,
                TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(8f / 255)), 200, 0.1f, 8f / 255, 1);
        assertThat(ComputeCost.training(paper, 50_000)).isCloseTo(200.0 * (50_000 * 9 + 1_000 * 32) * 57, within(1.0));
        assertThat(ComputeCost.training(paper, 50_000)).isCloseTo(5.49e9, within(0.01e9));
    }

    @Test
    void everyMethodHasItsPerImageCost() {
        for (Object[] c : new Object[][] {{TrainingMethod.standard(), 3.0}, {TrainingMethod.pgdAt(0.1f, 10, 0.025f), 33.0},
                {TrainingMethod.trades(6f, 0.1f, 10, 0.025f), 37.0},
                {TrainingMethod.arr(1f, Divergence.KL, AttackSpec.pgd(0.1f, 3, 0.05f)), 15.0}}) {
            TrainingPlan plan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN, (TrainingMethod) c[0], 1, 0.05f, 0.1f, 1)
                    .withValidationSize(0 + 1).withValidationPgdSteps(1);
            // 1 epoch x (100 images x per-image + 1 validation image x (2 + 3))
            assertThat(ComputeCost.training(plan, 100)).as(c[0].toString()).isCloseTo(100 * (double) c[1] + 5, within(1e-9));
        }
    }

    @Test
    void evaluationsCountEveryAttacksSteps() {
        // per image: 1 clean + (FGSM 3 + 1) + (PGD-20 60 + 1) + (ensemble: APGD-CE 3 x 100 + APGD-T 3 x 100 x 9
        // + FAB-T 4 x 100 x 9 + Square 5,000, + 1) = 11667
        List<AttackSpec> attacks = List.of(AttackSpec.fgsm(0.1f), AttackSpec.pgd20(0.1f), AttackSpec.ensemble(0.1f, 100, 9, 5000));
        assertThat(ComputeCost.evaluation(Architecture.WRN_34_10, attacks, 10_000, null)).isCloseTo(10_000.0 * 11667 * 680, within(1.0));
        double withDiagnostics = ComputeCost.evaluation(Architecture.SMALL_CNN, attacks, 100, new Diagnostics.Plan(200, 0.1f, 1000, 0, 8));
        assertThat(withDiagnostics).isCloseTo(100.0 * 11667 + 200 * (3.0 * 152 + 1000 + 10) + 8 * 60, within(1e-6));
    }
}
