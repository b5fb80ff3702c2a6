package org.robustlab.ml.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.nd.Scalars;

/**
 * GradAlign (Andriushchenko and Flammarion, "Understanding and improving fast adversarial training", NeurIPS 2020):
 * {@code 1 - mean_i cos(grad_x CE(f(x_i), y_i), grad_x CE(f(x_i + eta_i), y_i))}, eta uniform in the epsilon ball,
 * the first gradient a constant and the second differentiated through (a double backward), rows where either
 * gradient is zero left out of the mean, as in the reference code. Both gradients are of the batch's mean
 * cross-entropy with the model in training mode, and x + eta is not clipped to [0,1], as there. The first gradient is
 * taken at the clean x, the paper's definition (the reference code reuses its FGSM's gradient, which is the same
 * thing when FGSM starts at x, and is the gradient at the random start when it does not).
 *
 * <p>DJL has no {@code autograd.grad}: the second gradient comes from a backward with {@code create_graph} on the
 * PyTorch engine, which also leaves that pass's gradient on the parameters; it is zeroed before the loss's backward,
 * so the parameters receive exactly the gradient of the loss with the regulariser. PyTorch warns, once, that such a
 * backward makes a reference cycle between a parameter and its gradient (the gradient's graph holds the parameter): each
 * step's pass replaces the previous step's gradient, so at most one step's graph is held, and a training job runs in a
 * worker process of its own, which ends with the job.
 */
final class GradAlign {

    private GradAlign() {}

    /** grad_x of the batch's mean cross-entropy at the clean x, training mode, a constant; in {@code s}. */
    static NDArray cleanGradient(Block block, NDArray x, NDArray y, NDManager s) {
        Forward.trackParameterGradients(block, false);
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = x.duplicate();
            input.setRequiresGradient(true);
            collector.backward(Losses.crossEntropy(Forward.logits(block, input, true), y));
            NDArray grad = input.getGradient().stopGradient();
            grad.attach(s);
            return grad;
        } finally {
            Forward.trackParameterGradients(block, true);
        }
    }

    /**
     * The regulariser, differentiable with respect to the parameters; to be called inside the loss's gradient
     * collector. {@code clean} is {@link #cleanGradient}'s result.
     */
    static NDArray regularizer(Block block, NDArray x, NDArray y, NDArray clean, float epsilon, NDManager s) {
        NDArray input = x.add(s.randomUniform(-epsilon, epsilon, x.getShape(), x.getDataType(), x.getDevice()));
        input.setRequiresGradient(true);
        NDArray ce = Losses.crossEntropy(Forward.logits(block, input, true), y);
        JniUtils.backward((PtNDArray) ce, (PtNDArray) ce.onesLike(), true, true);
        NDArray noisy = input.getGradient();
        noisy.attach(s);
        JniUtils.setGradMode(false);
        try {
            for (Parameter p : block.getParameters().values()) {
                if (Models.isTrainable(p) && p.getArray().hasGradient()) {
                    try (NDArray g = p.getArray().getGradient()) {
                        g.subi(g);
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(true);
        }
        int[] axes = {1, 2, 3};
        NDArray zero = Scalars.like(clean, 0f);
        NDArray one = Scalars.like(clean, 1f);
        NDArray cleanSq = clean.square().sum(axes);
        NDArray noisySq = noisy.square().sum(axes);
        NDArray keep = cleanSq.gt(zero).logicalAnd(noisySq.gt(zero));
        // rows left out take 1 under the square roots, so that no infinite derivative of sqrt(0) reaches the backward
        NDArray norms = NDArrays.where(keep, cleanSq, one.broadcast(cleanSq.getShape())).sqrt()
                .mul(NDArrays.where(keep, noisySq, one.broadcast(noisySq.getShape())).sqrt());
        NDArray kept = keep.toType(DataType.FLOAT32, false);
        NDArray cos = clean.mul(noisy).sum(axes).div(norms).mul(kept);
        NDArray count = NDArrays.maximum(kept.sum(), one);
        return one.sub(cos.sum().div(count));
    }
}
