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
 * @param perClassCleanAccuracy clean accuracy per class (null for a class with no test point)
 * @param results one entry per attack and epsilon
 * @param worstCase per epsilon, accuracy when each example faces every attack run at that epsilon
 * @param seconds wall time
 */
public record RobustnessReport(
        String checkpoint,
        int testPoints,
        long seed,
        double cleanAccuracy,
        List<Double> perClassCleanAccuracy,
        List<AttackResult> results,
        List<WorstCase> worstCase,
        double seconds) {

    /** Robust accuracy under one attack at one epsilon. */
    public record AttackResult(String label, AttackSpec attack, float epsilon, double robustAccuracy,
            List<Double> perClassAccuracy, double imagesPerSecond) {}

    /** Per-example worst case over the attacks at {@code epsilon}. */
    public record WorstCase(float epsilon, List<String> attacks, double accuracy) {}

    /** The result for {@code label} at {@code epsilon}, or null. */
    public AttackResult result(String label, float epsilon) {
        return results.stream().filter(r -> r.label().equals(label) && r.epsilon() == epsilon).findFirst().orElse(null);
    }
}
