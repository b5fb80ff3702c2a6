package org.robustlab.ml.loss;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/** The discrepancy D(f(x), f(x_adv)) of ARR. */
public enum Divergence {
    /** KL(softmax f(x) || softmax f(x_adv)), batchmean. */
    KL("kl"),
    /** L2 norm of the logit difference, averaged over the batch. */
    L2("l2");

    private final String id;

    Divergence(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public NDArray compute(NDArray cleanLogits, NDArray advLogits) {
        return this == KL ? Losses.klBatchMean(cleanLogits, advLogits) : Losses.l2Logits(cleanLogits, advLogits);
    }

    public static Divergence fromId(String value) {
        for (Divergence d : values()) {
            if (d.id.equalsIgnoreCase(value)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown divergence '" + value + "'; expected one of "
                + Arrays.stream(values()).map(Divergence::id).toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
