package org.robustlab.ml.loss;

import ai.djl.ndarray.NDArray;
import org.robustlab.ml.nd.Scalars;

/**
 * The loss functions of adversarial training, on logits (N, K) and int labels (N).
 *
 * <p>KL is computed from {@code logSoftmax} (DJL has no KL loss), summed over classes and averaged
 * over the batch ("batchmean"): averaging over all N*K elements would silently divide the
 * regulariser by the number of classes.
 */
public final class Losses {

    private Losses() {}

    /** Cross-entropy per example, -log softmax(z)_y, shape (N). */
    public static NDArray crossEntropyPerExample(NDArray logits, NDArray labels) {
        NDArray logp = logits.logSoftmax(1);
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)).toType(logp.getDataType(), false);
        return logp.mul(oneHot).sum(new int[] {1}).neg();
    }

    /** Mean cross-entropy over the batch. */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        return crossEntropyPerExample(logits, labels).mean();
    }

    /** KL(softmax(p) || softmax(q)) per example: sum_k p_k (log p_k - log q_k), shape (N). */
    public static NDArray klPerExample(NDArray logitsP, NDArray logitsQ) {
        NDArray logp = logitsP.logSoftmax(1);
        NDArray logq = logitsQ.logSoftmax(1);
        return logp.exp().mul(logp.sub(logq)).sum(new int[] {1});
    }

    /** KL(softmax(p) || softmax(q)), summed over classes and averaged over the batch. */
    public static NDArray klBatchMean(NDArray logitsP, NDArray logitsQ) {
        return klPerExample(logitsP, logitsQ).mean();
    }

    /**
     * L2 norm of the logit difference per example, averaged over the batch. A 1e-12 inside the root
     * keeps the gradient finite where the two logit vectors coincide.
     */
    public static NDArray l2Logits(NDArray a, NDArray b) {
        return a.sub(b).square().sum(new int[] {1}).add(Scalars.like(a, 1e-12f)).sqrt().mean();
    }

    /**
     * The CW margin per example, max_{j != y} z_j - z_y (Carlini and Wagner, 2017): positive exactly when
     * the example is misclassified; attacks maximise it.
     */
    public static NDArray marginPerExample(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)).toType(logits.getDataType(), false);
        NDArray otherMax = logits.sub(oneHot.mul(Scalars.like(logits, 1e6f))).max(new int[] {1});
        return otherMax.sub(logits.mul(oneHot).sum(new int[] {1}));
    }

    /** The logit of class {@code labels[i]} in row i. */
    public static NDArray pick(NDArray logits, NDArray labels) {
        NDArray oneHot = labels.oneHot((int) logits.getShape().get(1)).toType(logits.getDataType(), false);
        return logits.mul(oneHot).sum(new int[] {1});
    }
}
