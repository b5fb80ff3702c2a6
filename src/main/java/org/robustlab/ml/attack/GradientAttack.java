package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.nd.Scalars;

/**
 * FGSM and PGD (L-inf and L2) with random starts and restarts.
 *
 * <p>Every step is: gradient step, projection onto the epsilon ball, clamp to [0,1] (for the L-inf
 * box both are one clamp to the intersection). The model's parameter gradients are switched off
 * while attacking, so the attack leaves no gradient on them and no weight-gradient work is done.
 * Only the returned array outlives the call: each step's intermediates live in a sub-manager that
 * is closed at the end of the step. The result is attached to {@code x}'s manager and carries no
 * gradient (it is detached from everything).
 *
 * <p>Every array lives on {@code x}'s device and an iteration makes no host copy: the constants
 * (epsilon, the step) are device scalars made once per call, random starts are drawn on the device.
 */
public final class GradientAttack implements Attack {

    private final AttackSpec spec;

    public GradientAttack(AttackSpec spec) {
        this.spec = spec;
    }

    public AttackSpec spec() {
        return spec;
    }

    /** Adversarial examples for images {@code x} in [0,1] (N,C,H,W) with labels {@code y}. */
    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        NDManager parent = x.getManager();
        if (spec.epsilon() == 0f) {
            return x.duplicate();
        }
        Forward.trackParameterGradients(model, false);
        try (NDManager work = parent.newSubManager()) {
            work.tempAttachAll(x, y);
            NDArray cleanLogits = spec.objective() == AttackSpec.Objective.KL
                    ? Forward.logits(model, x, spec.trainingMode()).stopGradient()
                    : null;
            NDArray eps = Scalars.of(work, spec.epsilon());
            NDArray lo = x.sub(eps).clip(0f, 1f);
            NDArray hi = x.add(eps).clip(0f, 1f);
            Context c = new Context(model, x, y, lo, hi, cleanLogits, eps, Scalars.of(work, spec.stepSize()),
                    Scalars.of(work, 1e-12f));
            NDArray best = run(c, work);
            if (spec.restarts() > 1) {
                NDArray bestLogits = Forward.logits(model, best, false);
                NDArray bestScore = objective(bestLogits, y, cleanLogits);
                NDArray bestFooled = fooled(bestLogits, y);
                for (int r = 1; r < spec.restarts(); r++) {
                    NDArray adv = run(c, work);
                    NDArray logits = Forward.logits(model, adv, false);
                    NDArray score = objective(logits, y, cleanLogits);
                    NDArray fooled = fooled(logits, y);
                    NDArray better = fooled.logicalAnd(bestFooled.logicalNot())
                            .logicalOr(fooled.eq(bestFooled).logicalAnd(score.gt(bestScore)));
                    best = NDArrays.where(better.reshape(-1, 1, 1, 1).broadcast(adv.getShape()), adv, best);
                    bestScore = NDArrays.where(better, score, bestScore);
                    bestFooled = fooled.logicalOr(bestFooled);
                }
            }
            best.attach(parent);
            return best;
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }

    /**
     * What every step needs: the model, the clean batch, the box [lo, hi] = ball intersected with [0,1],
     * and the constants epsilon, the step size and 1e-12 as device scalars.
     */
    private record Context(Block model, NDArray x, NDArray y, NDArray lo, NDArray hi, NDArray cleanLogits,
            NDArray eps, NDArray step, NDArray tiny) {
        NDArray[] arrays() {
            return cleanLogits == null ? new NDArray[] {x, y, lo, hi, eps, step, tiny}
                    : new NDArray[] {x, y, lo, hi, eps, step, tiny, cleanLogits};
        }
    }

    /** One run from a (random) start; the result is attached to {@code out}. */
    private NDArray run(Context c, NDManager out) {
        NDArray adv;
        try (NDManager s = out.newSubManager()) {
            s.tempAttachAll(c.arrays());
            adv = spec.randomStart() ? start(c, s) : c.x().duplicate();
            adv.attach(out);
        }
        for (int k = 0; k < spec.steps(); k++) {
            try (NDManager s = out.newSubManager()) {
                s.tempAttachAll(c.arrays());
                adv.attach(s);
                NDArray grad = inputGradient(c.model(), adv, c.y(), c.cleanLogits(), s);
                NDArray next;
                if (spec.norm() == AttackSpec.Norm.LINF) {
                    next = adv.add(grad.sign().mul(c.step()));
                    next = NDArrays.minimum(NDArrays.maximum(next, c.lo()), c.hi());
                } else {
                    NDArray norm = grad.square().sum(new int[] {1, 2, 3}, true).sqrt().add(c.tiny());
                    next = projectL2(c, adv.add(grad.div(norm).mul(c.step())));
                }
                next.attach(out);
                adv = next;
            }
        }
        return adv;
    }

    private static NDArray fooled(NDArray logits, NDArray y) {
        return logits.argMax(1).toType(y.getDataType(), false).neq(y);
    }

    private NDArray start(Context c, NDManager s) {
        NDArray x = c.x();
        if (spec.objective() == AttackSpec.Objective.KL) {
            // TRADES: the KL gradient vanishes at x_adv = x, so start from a tiny Gaussian step.
            NDArray noise = s.randomNormal(0f, 0.001f, x.getShape(), x.getDataType(), x.getDevice());
            return spec.norm() == AttackSpec.Norm.LINF
                    ? NDArrays.minimum(NDArrays.maximum(x.add(noise), c.lo()), c.hi())
                    : projectL2(c, x.add(noise));
        }
        if (spec.norm() == AttackSpec.Norm.LINF) {
            NDArray noise = s.randomUniform(-spec.epsilon(), spec.epsilon(), x.getShape(), x.getDataType(), x.getDevice());
            return x.add(noise).clip(0f, 1f);
        }
        NDArray dir = s.randomNormal(0f, 1f, x.getShape(), x.getDataType(), x.getDevice());
        NDArray norm = dir.square().sum(new int[] {1, 2, 3}, true).sqrt().add(c.tiny());
        NDArray radius = s.randomUniform(0f, spec.epsilon(), new Shape(x.getShape().get(0), 1, 1, 1),
                x.getDataType(), x.getDevice());
        return projectL2(c, x.add(dir.div(norm).mul(radius)));
    }

    /** Projects {@code candidate} onto the L2 ball around x and the unit box; the factor eps / ||delta|| is at most 1. */
    private static NDArray projectL2(Context c, NDArray candidate) {
        NDArray delta = candidate.sub(c.x());
        NDArray norm = delta.square().sum(new int[] {1, 2, 3}, true).sqrt();
        NDArray factor = c.eps().div(norm.add(c.tiny())).clip(0f, 1f);
        return c.x().add(delta.mul(factor)).clip(0f, 1f);
    }

    /** Gradient of the summed attack objective with respect to the input, in {@code s}. */
    private NDArray inputGradient(Block model, NDArray adv, NDArray y, NDArray cleanLogits, NDManager s) {
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = adv.duplicate();
            input.setRequiresGradient(true);
            NDArray logits = Forward.logits(model, input, spec.trainingMode());
            collector.backward(objective(logits, y, cleanLogits).sum());
            return input.getGradient();
        }
    }

    private NDArray objective(NDArray logits, NDArray y, NDArray cleanLogits) {
        return switch (spec.objective()) {
            case CE -> Losses.crossEntropyPerExample(logits, y);
            case CW -> Losses.marginPerExample(logits, y);
            case KL -> Losses.klPerExample(cleanLogits, logits);
        };
    }
}
