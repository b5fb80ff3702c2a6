package org.robustlab.ml.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import org.robustlab.ml.attack.Attack;
import org.robustlab.ml.attack.GradientAttack;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.loss.MartLoss;
import org.robustlab.ml.loss.RegularizedLoss;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.nd.Devices;
import org.robustlab.ml.nd.Scalars;

/**
 * The forward and backward pass of one update for any {@link Method}: the inner attack first (its
 * own gradient collector, closed before the update's), then one collector for the loss with every
 * forward in training mode. For ARR, TRADES and MART, f(x) and f(x_adv) are two passes, and both update
 * BatchNorm's running statistics. Parameter gradients are left for the optimiser. With AWP the weights are moved
 * before the loss's pass ({@link AdversarialWeights}) and moved back by {@link #restoreWeights()} after the update;
 * with GradAlign its regulariser joins the loss ({@link GradAlign}), reported as the step's regulariser.
 *
 * <p>The step reads the device once: its four figures (loss, cross-entropy, regulariser, correct
 * predictions) are stacked on the device and copied to the host together. Every array of the step is
 * checked to be on the device of the batch ({@link Devices}).
 */
public final class TrainingStep {

    private final TrainingMethod method;
    private final Attack inner;
    private AdversarialWeights.Move perturbation;

    public TrainingStep(TrainingMethod method) {
        this.method = method;
        this.inner = method.attack() == null ? null
                : method.method() == Method.N_FGSM ? new NoiseFgsm(method.attack(), method.weight()) : new GradientAttack(method.attack());
    }

    /** Loss, its cross-entropy and regulariser parts, and the number of correct predictions in the batch. */
    public record StepLosses(float loss, float crossEntropy, float regularizer, int correct) {}

    /** Runs the step on images {@code x} and labels {@code y} and reads its figures; arrays in {@code s}. */
    public StepLosses run(Block block, NDArray x, NDArray y, float weight, NDManager s) {
        return read(forwardBackward(block, x, y, weight, s));
    }

    /**
     * The forward and backward pass on images {@code x} and labels {@code y}, all arrays in {@code s}
     * and on {@code x}'s device, without AWP. Returns the step's figures still on the device, so that the caller can
     * queue the optimiser's update before it waits for them with {@link #read}.
     */
    public NDArray forwardBackward(Block block, NDArray x, NDArray y, float weight, NDManager s) {
        return forwardBackward(block, x, y, weight, false, s);
    }

    /**
     * As {@link #forwardBackward(Block, NDArray, NDArray, float, NDManager)}; with {@code perturbWeights} (AWP, during
     * an epoch past its warm-up) the weights are moved before the loss's pass and stay moved until
     * {@link #restoreWeights()}, which the caller runs right after the optimiser's update, as the reference code does.
     */
    public NDArray forwardBackward(Block block, NDArray x, NDArray y, float weight, boolean perturbWeights, NDManager s) {
        NDArray adv = inner == null ? null : inner.perturb(block, x, y);
        if (perturbWeights && method.weightPerturbation() != null) {
            perturbation = AdversarialWeights.perturb(block, method.weightPerturbation().gamma(),
                    () -> losses(block, x, adv, y, weight)[0], s);
        }
        NDArray gradAlignStart = method.gradAlign() > 0f ? GradAlign.cleanGradient(block, x, y, s) : null;
        NDArray[] parts;
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            parts = losses(block, x, adv, y, weight);
            if (gradAlignStart != null) {
                NDArray align = GradAlign.regularizer(block, x, y, gradAlignStart, method.attack().epsilon(), s);
                parts[0] = parts[0].add(align.mul(Scalars.like(align, method.gradAlign())));
                parts[2] = align;
            }
            collector.backward(parts[0]);
        }
        NDArray loss = parts[0];
        NDArray logits = parts[3];
        Devices.require(x.getDevice(), NAMES, y, adv, logits, loss);
        NDArray correct = logits.argMax(1).toType(DataType.INT32, false).eq(y.toType(DataType.INT32, false))
                .sum().toType(DataType.FLOAT32, false);
        return NDArrays.stack(new NDList(loss.stopGradient(), parts[1].stopGradient(),
                parts[2] == null ? loss.zerosLike() : parts[2].stopGradient(), correct));
    }

    /** Takes back the weight move of the last {@link #forwardBackward} with AWP, if any; a no-op otherwise. */
    public void restoreWeights() {
        if (perturbation != null) {
            perturbation.restore();
            perturbation = null;
        }
    }

    /**
     * The method's loss on the batch with every forward in training mode: {total, cross-entropy, regulariser or null,
     * the logits whose predictions the step counts}.
     */
    private NDArray[] losses(Block block, NDArray x, NDArray adv, NDArray y, float weight) {
        switch (method.method()) {
            case STANDARD -> {
                NDArray logits = Forward.logits(block, x, true);
                NDArray loss = Losses.crossEntropy(logits, y);
                return new NDArray[] {loss, loss, null, logits};
            }
            case PGD_AT, FGSM_RS, N_FGSM -> {
                NDArray logits = Forward.logits(block, adv, true);
                NDArray loss = Losses.crossEntropy(logits, y);
                return new NDArray[] {loss, loss, null, logits};
            }
            case MART -> {
                NDArray logits = Forward.logits(block, x, true);
                NDArray advLogits = Forward.logits(block, adv, true);
                RegularizedLoss.Parts parts = MartLoss.compute(logits, advLogits, y, weight);
                return new NDArray[] {parts.total(), parts.crossEntropy(), parts.regularizer(), logits};
            }
            default -> {
                NDArray logits = Forward.logits(block, x, true);
                NDArray advLogits = Forward.logits(block, adv, true);
                Divergence d = method.method() == Method.TRADES ? Divergence.KL : method.divergence();
                RegularizedLoss.Parts parts = RegularizedLoss.compute(logits, advLogits, y, d, weight);
                return new NDArray[] {parts.total(), parts.crossEntropy(), parts.regularizer(), logits};
            }
        }
    }

    /** The figures of {@link #forwardBackward}: the step's one read of the device. */
    public static StepLosses read(NDArray figures) {
        float[] f = figures.toFloatArray();
        return new StepLosses(f[0], f[1], f[2], Math.round(f[3]));
    }

    private static final String[] NAMES = {"the labels", "the adversarial batch", "the logits", "the loss"};
}
