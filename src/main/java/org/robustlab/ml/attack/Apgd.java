package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;

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
 */
public final class Apgd implements Attack {

    private static final float MOMENTUM = 0.75f;
    private static final double OSCILLATION_FRACTION = 0.75;

    private final AttackSpec spec;
    private final java.util.function.BooleanSupplier cancelled;

    public Apgd(AttackSpec spec) {
        this(spec, () -> false);
    }

    public Apgd(AttackSpec spec, java.util.function.BooleanSupplier cancelled) {
        this.cancelled = cancelled;
        if (spec.type() != AttackSpec.AttackType.APGD_CE && spec.type() != AttackSpec.AttackType.APGD_DLR
                && spec.type() != AttackSpec.AttackType.APGD_T) {
            throw new IllegalArgumentException("not an APGD attack: " + spec.type());
        }
        this.spec = spec;
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        NDManager parent = x.getManager();
        if (spec.epsilon() == 0f) {
            return x.duplicate();
        }
        boolean targeted = spec.type() == AttackSpec.AttackType.APGD_T;
        Forward.trackParameterGradients(model, false);
        NDArray result = x.duplicate();
        try {
            boolean[] robust = BatchRows.correct(model, x, y);
            int[] targetRanks = null;
            int classes = 0;
            int runs = spec.restarts();
            if (targeted) {
                try (NDManager s = parent.newSubManager()) {
                    s.tempAttachAll(x);
                    NDArray logits = Forward.logits(model, x, false);
                    classes = (int) logits.getShape().get(1);
                    targetRanks = ranks(logits);
                }
                runs = Math.min(spec.restarts(), classes - 1);
                if (classes < 4) {
                    throw new IllegalArgumentException("targeted DLR needs at least 4 classes; the model has " + classes);
                }
            }
            for (int r = 0; r < runs; r++) {
                int[] active = BatchRows.where(robust);
                if (active.length == 0) {
                    break;
                }
                try (NDManager work = parent.newSubManager()) {
                    NDArray xs = BatchRows.take(x, active, work);
                    NDArray ys = BatchRows.take(y, active, work);
                    NDArray target = null;
                    if (targeted) {
                        int[] t = new int[active.length];
                        for (int i = 0; i < active.length; i++) {
                            // the (r+2)-th most likely class of the clean input: the best wrong guesses first
                            t[i] = targetRanks[active[i] * classes + classes - 2 - r];
                        }
                        target = work.create(t).toType(ys.getDataType(), false).toDevice(xs.getDevice(), false);
                    }
                    Run run = run(model, xs, ys, target, work);
                    NDArray merged = BatchRows.put(result, run.adv, active);
                    result.close();
                    result = merged;
                    for (int i = 0; i < active.length; i++) {
                        if (run.fooled[i]) {
                            robust[active[i]] = false;
                        }
                    }
                }
            }
            return result;
        } catch (RuntimeException e) {
            result.close();
            throw e;
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }

    /** Class indices sorted by ascending logit, row by row. */
    private static int[] ranks(NDArray logits) {
        return logits.argSort(1).toType(DataType.INT32, false).toIntArray();
    }

    private record Run(NDArray adv, boolean[] fooled) {}

    private record Step(NDArray loss, NDArray grad, boolean[] correct) {}

    /** One APGD run on every example of {@code x}; the result is attached to {@code work}. */
    private Run run(Block model, NDArray x, NDArray y, NDArray target, NDManager work) {
        int n = (int) x.getShape().get(0);
        int iterations = spec.steps();
        int k = Math.max((int) (0.22 * iterations), 1);
        int kMin = Math.max((int) (0.06 * iterations), 1);
        int kDecrease = Math.max((int) (0.03 * iterations), 1);
        float eps = spec.epsilon();
        NDArray lo = x.sub(eps).clip(0f, 1f);
        NDArray hi = x.add(eps).clip(0f, 1f);

        float[] step = new float[n];
        java.util.Arrays.fill(step, 2 * eps);
        NDArray xAdv;
        try (NDManager s = work.newSubManager()) {
            NDArray t = s.randomUniform(-1f, 1f, x.getShape(), DataType.FLOAT32, x.getDevice());
            NDArray tMax = t.abs().reshape(n, -1).max(new int[] {1}).reshape(n, 1, 1, 1);
            xAdv = x.add(t.div(tMax).mul(eps)).clip(0f, 1f);
            xAdv.attach(work);
        }
        Step first = lossAndGradient(model, xAdv, y, target, work);
        float[] lossBest = first.loss.toFloatArray();
        boolean[] fooled = new boolean[n];
        for (int i = 0; i < n; i++) {
            fooled[i] = !first.correct[i];
        }
        NDArray grad = first.grad;
        NDArray xBest = xAdv.duplicate();
        NDArray gradBest = grad.duplicate();
        NDArray xFooled = xAdv.duplicate();
        NDArray xOld = xAdv.duplicate();
        float[][] lossSteps = new float[iterations][];
        float[] lossBestLastCheck = lossBest.clone();
        boolean[] reducedLastCheck = new boolean[n];
        java.util.Arrays.fill(reducedLastCheck, true);
        int counter = 0;
        int lastCheck = -1;

        for (int i = 0; i < iterations; i++) {
            Attack.check(cancelled);
            try (NDManager s = work.newSubManager()) {
                for (NDArray a : new NDArray[] {xAdv, xOld, grad, xBest, gradBest, xFooled}) {
                    a.attach(s);
                }
                s.tempAttachAll(x, y, lo, hi);
                if (target != null) {
                    s.tempAttachAll(target);
                }
                NDArray stepArray = s.create(step, new Shape(n, 1, 1, 1)).toDevice(x.getDevice(), false);
                float a = i > 0 ? MOMENTUM : 1f;
                NDArray z = clamp(xAdv.add(grad.sign().mul(stepArray)), lo, hi);
                NDArray next = clamp(xAdv.add(z.sub(xAdv).mul(a)).add(xAdv.sub(xOld).mul(1f - a)), lo, hi);
                xOld = xAdv;
                xAdv = next;
                Step st = lossAndGradient(model, xAdv, y, target, s);
                grad = st.grad;
                float[] loss = st.loss.toFloatArray();
                lossSteps[i] = loss;
                boolean[] newlyFooled = new boolean[n];
                boolean[] improved = new boolean[n];
                for (int j = 0; j < n; j++) {
                    newlyFooled[j] = !st.correct[j];
                    fooled[j] |= newlyFooled[j];
                    improved[j] = loss[j] > lossBest[j];
                    if (improved[j]) {
                        lossBest[j] = loss[j];
                    }
                }
                if (BatchRows.any(newlyFooled)) {
                    xFooled = NDArrays.where(mask(s, newlyFooled, x), xAdv, xFooled);
                }
                if (BatchRows.any(improved)) {
                    NDArray m = mask(s, improved, x);
                    xBest = NDArrays.where(m, xAdv, xBest);
                    gradBest = NDArrays.where(m, grad, gradBest);
                }
                counter++;
                if (counter == k) {
                    boolean[] reduce = new boolean[n];
                    for (int j = 0; j < n; j++) {
                        int increases = 0;
                        for (int m = Math.max(i - k + 1, lastCheck + 1); m <= i; m++) {
                            if (m > 0 && lossSteps[m][j] > lossSteps[m - 1][j]) {
                                increases++;
                            }
                        }
                        boolean oscillating = increases <= k * OSCILLATION_FRACTION;
                        boolean stalled = !reducedLastCheck[j] && lossBestLastCheck[j] >= lossBest[j];
                        reduce[j] = oscillating || stalled;
                        if (reduce[j]) {
                            step[j] /= 2;
                        }
                    }
                    reducedLastCheck = reduce;
                    lossBestLastCheck = lossBest.clone();
                    if (BatchRows.any(reduce)) {
                        NDArray m = mask(s, reduce, x);
                        xAdv = NDArrays.where(m, xBest, xAdv);
                        grad = NDArrays.where(m, gradBest, grad);
                    }
                    lastCheck = i;
                    counter = 0;
                    k = Math.max(k - kDecrease, kMin);
                }
                for (NDArray keep : new NDArray[] {xAdv, xOld, grad, xBest, gradBest, xFooled}) {
                    keep.attach(work);
                }
            }
        }
        NDArray adv;
        try (NDManager s = work.newSubManager()) {
            s.tempAttachAll(xFooled, xBest);
            adv = NDArrays.where(mask(s, fooled, x), xFooled, xBest);
            adv.attach(work);
        }
        return new Run(adv, fooled);
    }

    /** A per-example mask broadcast to the image shape. */
    private static NDArray mask(NDManager s, boolean[] flags, NDArray like) {
        return s.create(flags).toDevice(like.getDevice(), false).reshape(-1, 1, 1, 1).broadcast(like.getShape());
    }

    private static NDArray clamp(NDArray a, NDArray lo, NDArray hi) {
        return NDArrays.minimum(NDArrays.maximum(a, lo), hi);
    }

    /** The per-example loss, its input gradient (in {@code s}) and which examples are still correct. */
    private Step lossAndGradient(Block model, NDArray xAdv, NDArray y, NDArray target, NDManager s) {
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
            NDArray detachedLoss = loss.stopGradient();
            return new Step(detachedLoss, grad, BatchRows.matches(Forward.classes(logits.stopGradient()), y));
        }
    }

    /** DLR: -(z_y - max_{i != y} z_i) / (z_pi1 - z_pi3 + 1e-12); needs at least 3 classes. */
    static NDArray dlr(NDArray logits, NDArray y) {
        int c = (int) logits.getShape().get(1);
        NDArray sorted = logits.sort(1);
        NDArray scale = sorted.get(":, " + (c - 1)).sub(sorted.get(":, " + (c - 3))).add(1e-12f);
        return Losses.marginPerExample(logits, y).div(scale);
    }

    /** Targeted DLR: -(z_y - z_t) / (z_pi1 - (z_pi3 + z_pi4) / 2 + 1e-12); needs at least 4 classes. */
    static NDArray dlrTargeted(NDArray logits, NDArray y, NDArray target) {
        int c = (int) logits.getShape().get(1);
        NDArray sorted = logits.sort(1);
        NDArray scale = sorted.get(":, " + (c - 1))
                .sub(sorted.get(":, " + (c - 3)).add(sorted.get(":, " + (c - 4))).mul(0.5f)).add(1e-12f);
        NDArray zy = Losses.pick(logits, y);
        NDArray zt = Losses.pick(logits, target);
        return zt.sub(zy).div(scale);
    }
}
