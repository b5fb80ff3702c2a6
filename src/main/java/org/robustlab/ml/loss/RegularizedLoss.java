package org.robustlab.ml.loss;

import ai.djl.ndarray.NDArray;
import org.robustlab.ml.nd.Scalars;

/**
 * CE(f(x), y) + weight * D(f(x), f(x_adv)): ARR (Divergence KL or L2, weight lambda) and TRADES
 * (Zhang et al., 2019: D = KL, weight beta). Gradients flow through both logit sets.
 */
public final class RegularizedLoss {

    private RegularizedLoss() {}

    /** The two parts and their weighted sum, all scalars. */
    public record Parts(NDArray total, NDArray crossEntropy, NDArray regularizer) {}

    public static Parts compute(NDArray cleanLogits, NDArray advLogits, NDArray labels, Divergence divergence, float weight) {
        NDArray ce = Losses.crossEntropy(cleanLogits, labels);
        NDArray reg = divergence.compute(cleanLogits, advLogits);
        return new Parts(ce.add(reg.mul(Scalars.like(reg, weight))), ce, reg);
    }
}
