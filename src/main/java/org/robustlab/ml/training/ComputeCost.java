package org.robustlab.ml.training;

import java.util.List;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.ml.model.Architecture;

/**
 * What a job will cost, in SmallCNN image-passes: one forward pass of one 28x28 image through SmallCNN
 * (about 10 million multiply-adds) is 1; a backward pass counts as 2 forward passes; ResNet-18 costs 57
 * times SmallCNN per image, WideResNet-34-10 680 times, WideResNet-28-10 535 times and WideResNet-70-16 3,959
 * times, in either layout (multiply-adds at 32x32: 6.66, 5.24 and 38.8 billion). The service refuses jobs
 * over its limits before they are queued. An estimate of the work, not of the time: throughput depends on the
 * device.
 *
 * <p>Per training image, per epoch: standard 3 (forward and backward); ARR 3k + 6 (a k-step attack, then two
 * forwards and a backward through both); PGD-AT 3k + 3; TRADES 3k + 7 (its clean reference forward too). AWP adds
 * one more pass of the method's loss (3, 6 or 7), GradAlign 10 (a clean input gradient, and a noisy one differentiated
 * through).
 * Per validation image, per epoch: 2 + 3s (clean, an s-step PGD and its final forward). Per evaluated image:
 * each attack's gradient steps at 3 (FGSM 1; PGD steps x restarts; APGD steps x restarts or targets; the
 * ensemble its stages together), Square's queries at 1, and a final forward per attack.
 */
public final class ComputeCost {

    private ComputeCost() {}

    /** The architecture's cost per image, relative to SmallCNN. */
    public static double perImage(Architecture architecture) {
        return switch (architecture) {
            case SMALL_CNN -> 1;
            case RESNET18, PREACT_RESNET18 -> 57;
            case WRN_34_10 -> 680;
            case WRN_28_10, DM_WRN_28_10 -> 535;
            case WRN_70_16, DM_WRN_70_16 -> 3959;
        };
    }

    /** The whole run of {@code plan} on {@code trainImages} images. */
    public static double training(TrainingPlan plan, int trainImages) {
        TrainingMethod m = plan.method();
        int k = m.attack() == null ? 0 : m.attack().steps() * Math.max(1, m.attack().restarts());
        double perTrainImage = switch (m.method()) {
            case STANDARD -> 3;
            case ARR -> 3.0 * k + 6;
            case PGD_AT, FGSM_RS, N_FGSM -> 3.0 * k + 3;
            case TRADES, MART -> 3.0 * k + 7;
        };
        if (m.weightPerturbation() != null) {
            // AWP's extra pass of the method's loss: its forwards and a backward
            perTrainImage += switch (m.method()) {
                case PGD_AT, FGSM_RS, N_FGSM, STANDARD -> 3;
                case ARR -> 6;
                case TRADES, MART -> 7;
            };
        }
        if (m.gradAlign() > 0f) {
            // the clean input gradient (3), and the noisy one with its double backward (a forward, a backward and the
            // backward of that backward: 1 + 2 + 4)
            perTrainImage += 3 + 7;
        }
        double perValidationImage = 2 + 3.0 * plan.validationPgdSteps();
        return (double) plan.epochs() * (trainImages * perTrainImage + (double) plan.validationSize() * perValidationImage)
                * perImage(plan.architecture());
    }

    /** An evaluation of {@code attacks} on {@code testPoints} images, with its diagnostics when not null. */
    public static double evaluation(Architecture architecture, List<AttackSpec> attacks, int testPoints, Diagnostics.Plan diagnostics) {
        return evaluation(perImage(architecture), attacks, testPoints, diagnostics);
    }

    /**
     * An evaluation of a model whose forward pass costs {@code modelPerImage} SmallCNN passes (a lab's own model, measured
     * when it was checked).
     */
    public static double evaluation(double modelPerImage, List<AttackSpec> attacks, int testPoints, Diagnostics.Plan diagnostics) {
        double perImage = 1;
        for (AttackSpec a : attacks) {
            perImage += attack(a) + 1;
        }
        double total = testPoints * perImage;
        if (diagnostics != null) {
            // PGD-10, PGD-50 x 2, FGSM, Square, PGD-20 at a large epsilon, gradients, features (PGD-20), pictures (PGD-20)
            total += diagnostics.points() * (3.0 * (10 + 100 + 1 + 20 + 1 + 20) + diagnostics.squareQueries() + 10)
                    + diagnostics.pictures() * 3.0 * 20;
        }
        return total * modelPerImage;
    }

    static double attack(AttackSpec a) {
        int restarts = Math.max(1, a.restarts());
        return switch (a.type()) {
            case FGSM -> 3;
            case PGD, APGD_CE, APGD_DLR, APGD_T -> 3.0 * a.steps() * restarts * a.eot();
            case SQUARE -> (double) a.queries() * restarts;
            // a forward and backward pass of the batch once per class (10 assumed), and a forward pass, per iteration
            case FAB -> (3.0 * 10 + 1) * a.steps() * restarts;
            case FAB_T -> 4.0 * a.steps() * restarts;
            // the sum of its stages (AutoAttack's standard version: APGD-CE, APGD-T and FAB-T over the targets, Square)
            case ENSEMBLE -> a.stages().stream().mapToDouble(ComputeCost::attack).sum();
        };
    }
}
