package org.robustlab.ml.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import org.robustlab.ml.nd.Scalars;

/**
 * MART's loss (Wang et al., "Improving adversarial robustness requires revisiting misclassified examples", ICLR 2020,
 * {@code mart_loss} of its reference code):
 *
 * <pre>
 *   BCE(f(x_adv), y) + beta * mean_i [ KL(p(x_i) || p(x_adv_i)) * (1 - p_y(x_i)) ]
 *   BCE(z, y) = CE(z, y) - log(1 - max_{k != y} p_k(z))
 * </pre>
 *
 * The boosted cross-entropy adds a margin term that pushes down the most likely wrong class of the adversarial example;
 * the KL term is weighted by how little the clean example's true class is believed, so that misclassified examples
 * count more. The constants of the reference code are kept: 1.0001 and 1e-12 inside the BCE's log, 1.0000001 in the
 * weight, and the KL from the adversarial probabilities' log (plus 1e-12). Gradients flow through both logit sets.
 */
public final class MartLoss {

    private MartLoss() {}

    /** The loss with its parts: {@code crossEntropy} the BCE term, {@code regularizer} the weighted KL term (before beta). */
    public static RegularizedLoss.Parts compute(NDArray cleanLogits, NDArray advLogits, NDArray labels, float beta) {
        int classes = (int) cleanLogits.getShape().get(1);
        NDArray advProbs = advLogits.softmax(1);
        NDArray oneHotY = labels.oneHot(classes).toType(advProbs.getDataType(), false);
        NDArray oneHotOther = mostLikelyWrong(advProbs, oneHotY).oneHot(classes).toType(advProbs.getDataType(), false);
        NDArray otherProb = advProbs.mul(oneHotOther).sum(new int[] {1});
        NDArray margin = Scalars.like(otherProb, 1.0001f).sub(otherProb).add(Scalars.like(otherProb, 1e-12f)).log().neg();
        NDArray bce = Losses.crossEntropyPerExample(advLogits, labels).add(margin).mean();
        NDArray natProbs = cleanLogits.softmax(1);
        NDArray trueProb = natProbs.mul(oneHotY).sum(new int[] {1});
        NDArray logAdv = advProbs.add(Scalars.like(advProbs, 1e-12f)).log();
        // KLDivLoss(log q, p) = p (log p - log q), with p log p taken as 0 where p is 0
        NDArray kl = natProbs.mul(natProbs.add(Scalars.like(natProbs, 1e-30f)).log().sub(logAdv)).sum(new int[] {1});
        NDArray robust = kl.mul(Scalars.like(trueProb, 1.0000001f).sub(trueProb)).mean();
        return new RegularizedLoss.Parts(bce.add(robust.mul(Scalars.like(robust, beta))), bce, robust);
    }

    /**
     * The most likely class other than y in each row of {@code probs}: probabilities are in [0, 1], so y's column minus
     * 2 is never the maximum.
     */
    private static NDArray mostLikelyWrong(NDArray probs, NDArray oneHotY) {
        return probs.stopGradient().sub(oneHotY.mul(Scalars.like(probs, 2f))).argMax(1);
    }

    /** The class each row's {@link #compute} margin term pushes down, for tests. */
    static NDArray otherClass(NDArray advLogits, NDArray labels) {
        NDArray p = advLogits.softmax(1);
        return mostLikelyWrong(p, labels.oneHot((int) p.getShape().get(1)).toType(p.getDataType(), false)).toType(DataType.INT32, false);
    }
}
