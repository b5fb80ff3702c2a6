package org.robustlab.ml.evaluation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;

/**
 * AutoAttack's own checks of an evaluation (fra31/auto-attack, {@code checks.py}), as report flags beside the masking
 * checks, each passed or failed with its numbers:
 * <ul>
 *   <li>{@code autoattack-not-randomized}: five forward passes of the first batch agree (the normalised outputs within
 *       1e-4 in L2, the same number correct); a randomized model needs version {@code rand};</li>
 *   <li>{@code autoattack-outputs-are-logits}: the outputs are not a probability distribution per row;</li>
 *   <li>{@code autoattack-no-zero-gradients}: no point of the first batch has an all-zero input gradient of the
 *       cross-entropy;</li>
 *   <li>{@code autoattack-enough-classes}: the DLR losses need 3 classes, the targeted one 4, and targeted attacks one
 *       class more than their targets;</li>
 *   <li>{@code autoattack-inference-mode}: a forward pass changes no parameter or buffer (BatchNorm's running
 *       statistics): the model is not evaluated in training mode;</li>
 *   <li>{@code autoattack-square-not-below-white-box}: at each epsilon, Square does not leave more than 0.2 points less
 *       accuracy than the strongest white-box attack.</li>
 * </ul>
 */
final class AutoAttackChecks {

    private AutoAttackChecks() {}

    /** The checks made before the attacks run, on the first batch. */
    static List<MaskingCheck> before(Block model, NDManager manager, BatchLoader loader, List<AttackSpec> attacks, int classes) {
        List<MaskingCheck> out = new ArrayList<>();
        try (NDManager s = manager.newSubManager()) {
            BatchLoader.Batch batch = loader.batch(s, 0, 0);
            double parametersBefore = parameterSum(model);
            List<NDArray> outputs = new ArrayList<>();
            List<Integer> correct = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                NDArray logits = Forward.logits(model, batch.x(), false);
                outputs.add(logits.div(logits.square().sum(new int[] {1}, true).sqrt().add(s.create(1e-10f))));
                int[] predictions = Forward.classes(logits);
                int k = 0;
                for (int j = 0; j < predictions.length; j++) {
                    k += predictions[j] == batch.labels()[j] ? 1 : 0;
                }
                correct.add(k);
            }
            double maxDiff = 0;
            for (int a = 0; a < outputs.size(); a++) {
                for (int b = a + 1; b < outputs.size(); b++) {
                    maxDiff = Math.max(maxDiff, outputs.get(a).sub(outputs.get(b)).square().sum(new int[] {1}).sqrt().max().getFloat());
                }
            }
            boolean sameCorrect = correct.stream().distinct().count() == 1;
            out.add(check("autoattack-not-randomized", maxDiff <= 1e-4 && sameCorrect, String.format(Locale.ROOT,
                    "5 forward passes of the first batch: largest L2 difference of the normalised outputs %.3g (at most 1e-4), correct"
                            + " counts %s%s", maxDiff, correct, sameCorrect && maxDiff <= 1e-4 ? "" : "; a randomized model: use version rand"),
                    Map.of("maxDifference", maxDiff)));
            double parametersAfter = parameterSum(model);
            out.add(check("autoattack-inference-mode", parametersBefore == parametersAfter, String.format(Locale.ROOT,
                    "the sum of every parameter and buffer before and after 5 forward passes: %.9g and %.9g%s", parametersBefore,
                    parametersAfter, parametersBefore == parametersAfter ? "" : "; the model updates itself when run: training mode?"),
                    Map.of("before", parametersBefore, "after", parametersAfter)));
            NDArray logits = Forward.logits(model, batch.x(), false);
            double max = logits.max().getFloat();
            double min = logits.min().getFloat();
            double rowSumError = logits.sum(new int[] {1}).sub(s.create(1f)).abs().max().getFloat();
            boolean probabilities = max < 1 + 1e-5 && min > -1e-5 && rowSumError < 1e-5;
            out.add(check("autoattack-outputs-are-logits", !probabilities, String.format(Locale.ROOT,
                    "outputs in [%.4g, %.4g], row sums within %.3g of 1%s", min, max, rowSumError,
                    probabilities ? ": these are probabilities; attacks need logits" : ""), Map.of("min", min, "max", max)));
            int zero = zeroGradients(model, batch, s);
            out.add(check("autoattack-no-zero-gradients", zero == 0, String.format(Locale.ROOT,
                    "%d of %d points of the first batch have an all-zero input gradient of the cross-entropy", zero, batch.labels().length),
                    Map.of("zeroGradientPoints", (double) zero)));
        }
        out.add(classes(attacks, classes));
        return out;
    }

    /** The checks made on the results: Square against the white-box attacks at each epsilon. */
    static List<MaskingCheck> after(List<RobustnessReport.AttackResult> results) {
        Map<Float, Double> square = new LinkedHashMap<>();
        Map<Float, Double> whiteBox = new LinkedHashMap<>();
        for (RobustnessReport.AttackResult r : results) {
            AttackSpec a = r.attack();
            if (a.surrogate() != null || a.type() == AttackSpec.AttackType.ENSEMBLE) {
                continue;
            }
            Map<Float, Double> into = a.type() == AttackSpec.AttackType.SQUARE ? square : whiteBox;
            into.merge(r.epsilon(), r.robustAccuracy(), Math::min);
        }
        List<MaskingCheck> out = new ArrayList<>();
        for (Map.Entry<Float, Double> e : square.entrySet()) {
            Double white = whiteBox.get(e.getKey());
            if (white == null) {
                continue;
            }
            boolean passed = e.getValue() >= white - 0.002;
            out.add(check("autoattack-square-not-below-white-box", passed, String.format(Locale.ROOT,
                    "epsilon %.4g: Square %.4f against the strongest white-box attack %.4f%s", e.getKey(), e.getValue(), white,
                    passed ? "" : ": the white-box attacks miss what a black-box one finds (gradient masking?)"),
                    Map.of("epsilon", (double) e.getKey(), "square", e.getValue(), "whiteBox", white)));
        }
        return out;
    }

    private static MaskingCheck classes(List<AttackSpec> attacks, int classes) {
        int needed = 2;
        String why = "the attacks run";
        for (AttackSpec a : attacks) {
            for (AttackSpec stage : a.type() == AttackSpec.AttackType.ENSEMBLE ? a.stages() : List.of(a)) {
                int n = switch (stage.type()) {
                    case APGD_DLR -> 3;
                    case APGD_T -> Math.max(4, stage.restarts() + 1);
                    case FAB_T -> stage.restarts() + 1;
                    default -> 2;
                };
                if (n > needed) {
                    needed = n;
                    why = stage.label();
                }
            }
        }
        boolean passed = classes >= needed;
        return check("autoattack-enough-classes", passed, String.format(Locale.ROOT, "%d classes; %s needs %d%s", classes, why, needed,
                passed ? "" : " (fewer targets run than asked, or the DLR loss is undefined)"),
                Map.of("classes", (double) classes, "needed", (double) needed));
    }

    private static int zeroGradients(Block model, BatchLoader.Batch batch, NDManager s) {
        Forward.trackParameterGradients(model, false);
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = batch.x().duplicate();
            input.setRequiresGradient(true);
            collector.backward(Losses.crossEntropyPerExample(Forward.logits(model, input, false), batch.y()).sum());
            float[] perPoint = input.getGradient().abs().reshape(batch.labels().length, -1).sum(new int[] {1}).toFloatArray();
            int zero = 0;
            for (float g : perPoint) {
                zero += g == 0f ? 1 : 0;
            }
            return zero;
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }

    private static double parameterSum(Block model) {
        double sum = 0;
        for (Pair<String, Parameter> p : model.getParameters()) {
            if (p.getValue().isInitialized()) {
                sum += p.getValue().getArray().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).sum().getDouble();
            }
        }
        return sum;
    }

    private static MaskingCheck check(String name, boolean passed, String detail, Map<String, Double> figures) {
        return new MaskingCheck(name, passed, detail, figures);
    }
}
