package org.robustlab.ml.evaluation;

import java.util.List;
import org.robustlab.ml.attack.AttackSpec;

/**
 * Clean and robust accuracy of one model on one test set. Every figure carries what it needs to be
 * compared: the attack budget (in {@link AttackResult#attack()}), the number of test points, the
 * checkpoint and the seed. An example counts as robust to an attack only if it is classified
 * correctly both clean and under that attack.
 *
 * @param checkpoint which parameters were evaluated (e.g. "job 12 / best-robust, epoch 7")
 * @param testPoints number of test examples
 * @param seed seed of the attacks' random starts
 * @param cleanAccuracy clean accuracy
 * @param results one entry per attack and epsilon
 * @param worstCaseAccuracy per epsilon, accuracy when each example faces every attack run at that epsilon
 * @param perClassAccuracy per class: clean accuracy and the worst case at each epsilon
 * @param maskingChecks signs of gradient masking, each passed or failed with its numbers (empty when not run)
 * @param featureAnalysis penultimate-feature statistics (null when not run or not available)
 * @param plots names of the pictures made for this report ({@code <name>.png})
 * @param seconds wall time of the whole evaluation (in the service: from the worker's start to its report, model and
 *     data loading and the diagnostics included)
 * @param cleanInterval the 95% Clopper-Pearson interval of the clean accuracy for this number of test points
 * @param normalization the normalisation in front of the network (null in reports made before it was recorded)
 * @param autoAttackChecks AutoAttack's own checks (fra31/auto-attack's checks.py), each passed or failed with its numbers
 */
public record RobustnessReport(
        String checkpoint,
        int testPoints,
        long seed,
        double cleanAccuracy,
        List<AttackResult> results,
        List<WorstCase> worstCaseAccuracy,
        List<ClassAccuracy> perClassAccuracy,
        List<MaskingCheck> maskingChecks,
        FeatureAnalysis featureAnalysis,
        List<String> plots,
        double seconds,
        Statistics.Interval cleanInterval,
        List<MaskingCheck> autoAttackChecks,
        Normalization normalization) {

    /**
     * The normalisation in front of the network during the evaluation: every attack's [0,1] image goes through it.
     *
     * @param mean per channel, or null when the model took [0,1] pixels as they are
     * @param std per channel, or null when the model took [0,1] pixels as they are
     * @param source {@code dataset} (the dataset's own), {@code upload} (given with the model's upload) or {@code none}
     *     (a TorchScript model that normalises inside, if at all)
     */
    public record Normalization(float[] mean, float[] std, String source) {}

    /**
     * Robust accuracy under one attack at one epsilon, with its 95% Clopper-Pearson interval; a transfer attack names its
     * surrogate in the attack.
     */
    public record AttackResult(String label, AttackSpec attack, float epsilon, double robustAccuracy,
            List<Double> perClassAccuracy, double imagesPerSecond, Statistics.Interval interval) {}

    /** Per-example worst case over the attacks at {@code epsilon}, with its 95% Clopper-Pearson interval. */
    public record WorstCase(float epsilon, List<String> attacks, double accuracy, Statistics.Interval interval) {}

    /**
     * @param label the class index
     * @param name the class name (null when the dataset has none)
     * @param testPoints test points of the class
     * @param clean clean accuracy (null without test points)
     * @param worstCase worst-case accuracy at each epsilon of {@link #worstCaseAccuracy()}, in that order
     */
    public record ClassAccuracy(int label, String name, int testPoints, Double clean, List<Double> worstCase) {}

    /** The result for {@code label} at {@code epsilon}, or null. */
    public AttackResult result(String label, float epsilon) {
        return results.stream().filter(r -> r.label().equals(label) && r.epsilon() == epsilon).findFirst().orElse(null);
    }

    /** This report with its wall time. */
    public RobustnessReport withSeconds(double wallSeconds) {
        return new RobustnessReport(checkpoint, testPoints, seed, cleanAccuracy, results, worstCaseAccuracy, perClassAccuracy,
                maskingChecks, featureAnalysis, plots, wallSeconds, cleanInterval, autoAttackChecks, normalization);
    }

    /** This report with the diagnostics' findings added. */
    public RobustnessReport withDiagnostics(List<MaskingCheck> checks, FeatureAnalysis features, List<String> plotNames) {
        return new RobustnessReport(checkpoint, testPoints, seed, cleanAccuracy, results, worstCaseAccuracy, perClassAccuracy,
                checks, features, plotNames, seconds, cleanInterval, autoAttackChecks, normalization);
    }

    /** This report with the normalisation the model was evaluated behind. */
    public RobustnessReport withNormalization(Normalization used) {
        return new RobustnessReport(checkpoint, testPoints, seed, cleanAccuracy, results, worstCaseAccuracy, perClassAccuracy,
                maskingChecks, featureAnalysis, plots, seconds, cleanInterval, autoAttackChecks, used);
    }
}
