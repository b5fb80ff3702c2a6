package org.robustlab.ml.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import org.robustlab.ml.attack.Attack;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.nd.Scalars;

/**
 * N-FGSM's training perturbation (de Jorge et al., "Make some noise: reliable and efficient single-step adversarial
 * training", NeurIPS 2022): x + eta with eta uniform in [-noise, noise], then one signed-gradient step of size alpha on
 * the cross-entropy from there. Unlike FGSM with a random start, the result is not projected back onto the epsilon
 * ball (the reference code's default, no clipping): it may lie up to noise + alpha from x. It is kept in [0,1]. This is
 * a training perturbation, not an evaluation attack: it does not keep {@link Attack}'s epsilon-ball promise.
 */
final class NoiseFgsm implements Attack {

    private final AttackSpec spec;
    private final float noise;

    /** {@code spec}: the FGSM whose step size is alpha and whose mode the gradient is taken in; {@code noise}: eta's bound. */
    NoiseFgsm(AttackSpec spec, float noise) {
        this.spec = spec;
        this.noise = noise;
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        NDManager parent = x.getManager();
        Forward.trackParameterGradients(model, false);
        try (NDManager work = parent.newSubManager()) {
            work.tempAttachAll(x, y);
            NDArray start = noise > 0f
                    ? x.add(work.randomUniform(-noise, noise, x.getShape(), x.getDataType(), x.getDevice())).clip(0f, 1f)
                    : x.duplicate();
            NDArray grad;
            try (GradientCollector collector = work.getEngine().newGradientCollector()) {
                NDArray input = start.duplicate();
                input.setRequiresGradient(true);
                NDArray logits = Forward.logits(model, input, spec.trainingMode());
                collector.backward(Losses.crossEntropyPerExample(logits, y).sum());
                grad = input.getGradient();
            }
            NDArray adv = start.add(grad.sign().mul(Scalars.like(grad, spec.stepSize()))).clip(0f, 1f).stopGradient();
            adv.attach(parent);
            return adv;
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }
}
