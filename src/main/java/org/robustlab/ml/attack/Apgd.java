package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import java.util.function.BooleanSupplier;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.nd.Scalars;

/**
 * Auto-PGD in L-inf (Croce and Hein, "Reliable evaluation of adversarial robustness with an ensemble
 * of diverse parameter-free attacks", ICML 2020), following their reference implementation:
 * <ul>
 *   <li>a random start on the surface of the ball, and an initial step of 2 epsilon per example;</li>
 *   <li>a momentum step (alpha 0.75) after the first iteration;</li>
 *   <li>checkpoints at 22% of the budget, then at intervals shrinking by 3% of it down to 6%; at each,
 *       an example's step is halved, and it restarts from its best point, when its loss rose in at
 *       most 75% of the steps since the last checkpoint, or when its step was not halved last time
 *       and its best loss has not improved since;</li>
 *   <li>losses: cross-entropy; DLR, -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3); targeted DLR,
 *       -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2), towards each of the most likely wrong classes in turn.</li>
 * </ul>
 * Restarts (and targets) run only on the examples not yet misclassified. An example that any
 * iterate misclassifies gets that iterate; the others get their highest-loss point.
 *
 * <p>Every array lives on the device of the batch; an iteration makes no host copy and no host read.
 */
public final class Apgd implements Attack {

    private static final float MOMENTUM = 0.75f;
    private static final double OSCILLATION_FRACTION = 0.75;

    private final AttackSpec spec;
    private final BooleanSupplier cancelled;

    public Apgd(AttackSpec spec) {
        this(spec, () -> false);
    }

    public Apgd(AttackSpec spec, BooleanSupplier cancelled) {
        this.cancelled = cancelled;
        if (spec.type() != AttackSpec.AttackType.APGD_CE && spec.type() != AttackSpec.AttackType.APGD_DLR
                && spec.type() != AttackSpec.AttackType.APGD_T) {
            throw new IllegalArgumentException("not an APGD attack: " + spec.type());
        }
        this.spec = spec;
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        if (spec.epsilon() == 0f) {
            return x.duplicate();
        }
        boolean targeted = spec.type() == AttackSpec.AttackType.APGD_T;
        Forward.trackParameterGradients(model, false);
        try {
            // APGD-T: one run towards each target; the others: one run per restart
            return RobustRows.run(model, x, y, targeted ? spec.restarts() : 0, targeted ? 1 : spec.restarts(), 4, "targeted DLR",
                    (xs, ys, target, restart, work) -> {
                        Run run = run(model, xs, ys, target, work);
                        return new RobustRows.Result(run.adv, run.fooled);
                    });
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }

    private record Run(NDArray adv, boolean[] fooled) {}

    private record Step(NDArray loss, NDArray grad, NDArray correct) {}

    /**
     * One APGD run on every example of {@code x}; the result is attached to {@code work}. Everything
     * per example (step sizes, best losses, the count of loss increases since the last checkpoint, the
     * checkpoint's decisions) is an array on the device, so that an iteration never waits for the
     * host; which examples were fooled is read once, at the end.
     */
    private Run run(Block model, NDArray x, NDArray y, NDArray target, NDManager work) {
        int n = (int) x.getShape().get(0);
        int iterations = spec.steps();
        int k = Math.max((int) (0.22 * iterations), 1);
        int kMin = Math.max((int) (0.06 * iterations), 1);
        int kDecrease = Math.max((int) (0.03 * iterations), 1);
        NDArray eps = Scalars.of(work, spec.epsilon());
        NDArray half = Scalars.of(work, 0.5f);
        NDArray[] momentum = {Scalars.of(work, 1f), Scalars.of(work, 0f), Scalars.of(work, MOMENTUM), Scalars.of(work, 1f - MOMENTUM)};
        NDArray lo = x.sub(eps).clip(0f, 1f);
        NDArray hi = x.add(eps).clip(0f, 1f);
        Shape column = new Shape(n, 1, 1, 1);

        NDArray step = work.full(column, 2 * spec.epsilon(), DataType.FLOAT32);
        NDArray xAdv;
        try (NDManager s = work.newSubManager()) {
            s.tempAttachAll(x, eps);
            NDArray t = s.randomUniform(-1f, 1f, x.getShape(), DataType.FLOAT32, x.getDevice());
            NDArray tMax = t.abs().reshape(n, -1).max(new int[] {1}).reshape(n, 1, 1, 1);
            xAdv = x.add(t.div(tMax).mul(eps)).clip(0f, 1f);
            xAdv.attach(work);
        }
        Step first = lossAndGradient(model, xAdv, y, target, work);
        NDArray lossBest = first.loss;
        NDArray fooled = first.correct.logicalNot();
        NDArray grad = first.grad;
        NDArray xBest = xAdv.duplicate();
        NDArray gradBest = grad.duplicate();
        NDArray xFooled = xAdv.duplicate();
        NDArray xOld = xAdv.duplicate();
        NDArray previousLoss = null;
        NDArray increases = work.zeros(new Shape(n), DataType.FLOAT32);
        NDArray lossBestLastCheck = lossBest;
        NDArray reducedLastCheck = work.ones(new Shape(n), DataType.BOOLEAN);
        int counter = 0;

        for (int i = 0; i < iterations; i++) {
            Attack.check(cancelled);
            try (NDManager s = work.newSubManager()) {
                NDArray[] state = {xAdv, xOld, grad, xBest, gradBest, xFooled, step, lossBest, fooled, increases,
                        lossBestLastCheck, reducedLastCheck, previousLoss};
                for (NDArray a : state) {
                    if (a != null) {
                        a.attach(s);
                    }
                }
                s.tempAttachAll(x, y, lo, hi, half);
                s.tempAttachAll(momentum);
                if (target != null) {
                    s.tempAttachAll(target);
                }
                NDArray a = i > 0 ? momentum[2] : momentum[0];
                NDArray b = i > 0 ? momentum[3] : momentum[1];
                NDArray z = clamp(xAdv.add(grad.sign().mul(step)), lo, hi);
                NDArray next = clamp(xAdv.add(z.sub(xAdv).mul(a)).add(xAdv.sub(xOld).mul(b)), lo, hi);
                xOld = xAdv;
                xAdv = next;
                Step st = lossAndGradient(model, xAdv, y, target, s);
                grad = st.grad;
                NDArray loss = st.loss;
                if (previousLoss != null) {
                    increases = increases.add(loss.gt(previousLoss).toType(DataType.FLOAT32, false));
                }
                previousLoss = loss;
                NDArray newlyFooled = st.correct.logicalNot();
                fooled = fooled.logicalOr(newlyFooled);
                NDArray improved = loss.gt(lossBest);
                lossBest = NDArrays.where(improved, loss, lossBest);
                xFooled = NDArrays.where(rows(newlyFooled, x), xAdv, xFooled);
                NDArray improvedRows = rows(improved, x);
                xBest = NDArrays.where(improvedRows, xAdv, xBest);
                gradBest = NDArrays.where(improvedRows, grad, gradBest);
                counter++;
                if (counter == k) {
                    // an example's step halves, and it restarts from its best point, when its loss rose in at most
                    // 75% of the steps since the last checkpoint, or when its step was kept last time and its best
                    // loss has not improved since
                    NDArray oscillating = increases.lte(Scalars.of(s, (float) (k * OSCILLATION_FRACTION)));
                    NDArray stalled = reducedLastCheck.logicalNot().logicalAnd(lossBestLastCheck.gte(lossBest));
                    NDArray reduce = oscillating.logicalOr(stalled);
                    NDArray reduceRows = reduce.reshape(n, 1, 1, 1);
                    step = NDArrays.where(reduceRows, step.mul(half), step);
                    NDArray reduceImages = rows(reduce, x);
                    xAdv = NDArrays.where(reduceImages, xBest, xAdv);
                    grad = NDArrays.where(reduceImages, gradBest, grad);
                    reducedLastCheck = reduce;
                    lossBestLastCheck = lossBest;
                    increases = s.zeros(new Shape(n), DataType.FLOAT32);
                    counter = 0;
                    k = Math.max(k - kDecrease, kMin);
                }
                for (NDArray keep : new NDArray[] {xAdv, xOld, grad, xBest, gradBest, xFooled, step, lossBest, fooled,
                        increases, lossBestLastCheck, reducedLastCheck, previousLoss}) {
                    keep.attach(work);
                }
            }
        }
        NDArray adv = NDArrays.where(rows(fooled, x), xFooled, xBest);
        return new Run(adv, fooled.toBooleanArray());
    }

    /** A per-example flag broadcast to the image shape. */
    private static NDArray rows(NDArray flags, NDArray like) {
        return flags.reshape(-1, 1, 1, 1).broadcast(like.getShape());
    }

    private static NDArray clamp(NDArray a, NDArray lo, NDArray hi) {
        return NDArrays.minimum(NDArrays.maximum(a, lo), hi);
    }

    /**
     * The per-example loss, its input gradient and which examples are still correct, all in {@code s}; with
     * expectation over transformations ({@code eot} > 1), loss and gradient are the means over that many passes.
     */
    private Step lossAndGradient(Block model, NDArray xAdv, NDArray y, NDArray target, NDManager s) {
        Step step = onePass(model, xAdv, y, target, s);
        if (spec.eot() == 1) {
            return step;
        }
        NDArray loss = step.loss;
        NDArray grad = step.grad;
        for (int i = 1; i < spec.eot(); i++) {
            Step more = onePass(model, xAdv, y, target, s);
            loss = loss.add(more.loss);
            grad = grad.add(more.grad);
        }
        NDArray passes = Scalars.of(s, spec.eot());
        return new Step(loss.div(passes), grad.div(passes), step.correct);
    }

    private Step onePass(Block model, NDArray xAdv, NDArray y, NDArray target, NDManager s) {
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = xAdv.duplicate();
            input.attach(s);
            input.setRequiresGradient(true);
            NDArray logits = Forward.logits(model, input, spec.trainingMode());
            NDArray loss = switch (spec.type()) {
                case APGD_CE -> Losses.crossEntropyPerExample(logits, y);
                case APGD_DLR -> dlr(logits, y);
                default -> dlrTargeted(logits, y, target);
            };
            collector.backward(loss.sum());
            NDArray grad = input.getGradient();
            grad.attach(s);
            NDArray correct = logits.stopGradient().argMax(1).toType(y.getDataType(), false).eq(y);
            return new Step(loss.stopGradient(), grad, correct);
        }
    }

    /** DLR: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12); needs at least 3 classes. */
    static NDArray dlr(NDArray logits, NDArray y) {
        int c = (int) logits.getShape().get(1);
        NDArray sorted = logits.sort(1);
        NDArray scale = sorted.get(":, " + (c - 1)).sub(sorted.get(":, " + (c - 3))).add(Scalars.like(logits, 1e-12f));
        return Losses.marginPerExample(logits, y).div(scale);
    }

    /** Targeted DLR: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12); needs at least 4 classes. */
    static NDArray dlrTargeted(NDArray logits, NDArray y, NDArray target) {
        int c = (int) logits.getShape().get(1);
        NDArray sorted = logits.sort(1);
        NDArray scale = sorted.get(":, " + (c - 1))
                .sub(sorted.get(":, " + (c - 3)).add(sorted.get(":, " + (c - 4))).mul(Scalars.like(logits, 0.5f)))
                .add(Scalars.like(logits, 1e-12f));
        NDArray zy = Losses.pick(logits, y);
        NDArray zt = Losses.pick(logits, target);
        return zt.sub(zy).div(scale);
    }
}
