package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
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
 * The Fast Adaptive Boundary attack in L-inf (Croce and Hein, "Minimally distorted adversarial examples with a fast
 * adaptive boundary attack", ICML 2020), as AutoAttack runs it ({@code fab_base.py} and {@code fab_projections.py} of
 * fra31/auto-attack): each iteration linearises the decision boundary nearest in L-inf, projects both the current point
 * and the clean input onto that hyperplane within the [0,1] box, and steps towards a convex combination of the two
 * projections (overshoot {@value #ETA}, weight of the clean side at most {@value #ALPHA_MAX}); an iterate that is
 * misclassified is kept if it is the closest so far and pulled back towards the clean input (factor {@value #BETA}).
 *
 * <p>FAB minimises the perturbation: an example counts as broken only if its closest adversarial point lies within
 * epsilon. Untargeted FAB uses every class's boundary (a full Jacobian, one pass on a batch {@code classes} times as
 * large); FAB-T targets each of the most likely wrong classes in turn, one restart each, with one gradient per
 * iteration. Restarts after the first start from a random point at half epsilon. Restarts and targets run only on the
 * examples still robust. An iteration makes no host read.
 */
public final class Fab implements Attack {

    static final float ALPHA_MAX = 0.1f;
    static final float ETA = 1.05f;
    static final float BETA = 0.9f;
    /** The distance of an example without an adversarial point yet. */
    private static final float NONE = 1e10f;

    private final AttackSpec spec;
    private final BooleanSupplier cancelled;

    public Fab(AttackSpec spec) {
        this(spec, () -> false);
    }

    public Fab(AttackSpec spec, BooleanSupplier cancelled) {
        if (spec.type() != AttackSpec.AttackType.FAB && spec.type() != AttackSpec.AttackType.FAB_T) {
            throw new IllegalArgumentException("not a FAB attack: " + spec.type());
        }
        this.spec = spec;
        this.cancelled = cancelled;
    }

    @Override
    public NDArray perturb(Block model, NDArray x, NDArray y) {
        if (spec.epsilon() == 0f) {
            return x.duplicate();
        }
        boolean targeted = spec.type() == AttackSpec.AttackType.FAB_T;
        Forward.trackParameterGradients(model, false);
        try {
            int classes = targeted ? 0 : classes(model, x);
            // FAB-T: one run towards each target; FAB: one run per restart, the later ones from a random start
            return RobustRows.run(model, x, y, targeted ? spec.restarts() : 0, targeted ? 1 : spec.restarts(), 2, "FAB-T",
                    (xs, ys, target, restart, work) -> {
                        NDArray adv = run(model, xs, ys, target, classes, restart > 0, work);
                        // an example counts as broken only if its closest adversarial point is within epsilon
                        NDArray fooled = Forward.logits(model, adv, false).argMax(1).toType(ys.getDataType(), false).neq(ys)
                                .logicalAnd(linf(adv.sub(xs)).lte(Scalars.of(work, spec.epsilon())));
                        return new RobustRows.Result(NDArrays.where(rowsOf(fooled, xs), adv, xs), fooled.toBooleanArray());
                    });
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }

    private static int classes(Block model, NDArray x) {
        try (NDManager s = x.getManager().newSubManager()) {
            s.tempAttachAll(x);
            return (int) Forward.logits(model, x.get("0:1"), false).getShape().get(1);
        }
    }

    /**
     * One FAB run ({@code attack_single_run}) on every example of {@code x}: the closest adversarial point found for
     * each example, or the example itself where none was found; attached to {@code work}.
     */
    private NDArray run(Block model, NDArray x, NDArray y, NDArray target, int classes, boolean randomStart, NDManager work) {
        int n = (int) x.getShape().get(0);
        NDArray eta = Scalars.of(work, ETA);
        NDArray beta = Scalars.of(work, BETA);
        NDArray one = Scalars.of(work, 1f);
        NDArray zero = Scalars.of(work, 0f);
        NDArray alphaMax = Scalars.of(work, ALPHA_MAX);
        NDArray tiny = Scalars.of(work, 1e-12f);
        NDArray floor = Scalars.of(work, 1e-8f);
        NDArray x0 = x.reshape(n, -1);
        NDArray adv = x.duplicate();
        NDArray best = work.full(new Shape(n), NONE, DataType.FLOAT32);
        NDArray x1 = x;
        if (randomStart) {
            try (NDManager s = work.newSubManager()) {
                s.tempAttachAll(x);
                NDArray t = s.randomUniform(-1f, 1f, x.getShape(), DataType.FLOAT32, x.getDevice());
                NDArray tMax = t.abs().reshape(n, -1).max(new int[] {1}).reshape(n, 1, 1, 1);
                x1 = x.add(t.div(tMax).mul(Scalars.of(s, 0.5f * spec.epsilon()))).clip(0f, 1f);
                x1.attach(work);
            }
        }
        for (int i = 0; i < spec.steps(); i++) {
            Attack.check(cancelled);
            try (NDManager s = work.newSubManager()) {
                for (NDArray a : new NDArray[] {x1, adv, best}) {
                    if (a != x) {
                        a.attach(s);
                    }
                }
                s.tempAttachAll(x, x0, y, eta, beta, one, zero, alphaMax, tiny, floor);
                if (target != null) {
                    s.tempAttachAll(target);
                }
                NDArray[] diff = target != null ? differenceTo(model, x1, y, target, s) : differences(model, x1, y, classes, s);
                NDArray df = diff[0];
                NDArray dg = diff[1];
                int d = (int) dg.getShape().get(2);
                // the nearest boundary in L-inf: |f_k - f_y| / ||grad f_k - grad f_y||_1
                NDArray distance = df.abs().div(dg.abs().sum(new int[] {2}).add(tiny));
                NDArray nearest = distance.argMin(1).reshape(n, 1);
                NDArray dg2 = dg.gather(nearest.reshape(n, 1, 1).repeat(2, d), 1).reshape(n, d);
                NDArray x1flat = x1.reshape(n, d);
                NDArray b = df.gather(nearest, 1).reshape(n).neg().add(dg2.mul(x1flat).sum(new int[] {1}));
                NDArray d3 = projectLinf(NDArrays.concat(new NDList(x1flat, x0)), NDArrays.concat(new NDList(dg2, dg2)),
                        NDArrays.concat(new NDList(b, b)));
                NDArray d1 = d3.get("0:" + n).reshape(x.getShape());
                NDArray d2 = d3.get(n + ":").reshape(x.getShape());
                NDArray a0 = NDArrays.maximum(d3.abs().max(new int[] {1}), floor);
                NDArray a1 = a0.get("0:" + n);
                NDArray a2 = a0.get(n + ":");
                NDArray alpha = NDArrays.minimum(NDArrays.maximum(a1.div(a1.add(a2)), zero), alphaMax).reshape(n, 1, 1, 1);
                NDArray next = x1.add(d1.mul(eta)).mul(one.sub(alpha)).add(x.add(d2.mul(eta)).mul(alpha)).clip(0f, 1f);
                NDArray isAdv = Forward.logits(model, next, false).argMax(1).toType(y.getDataType(), false).neq(y);
                NDArray dist = linf(next.sub(x));
                NDArray closer = isAdv.logicalAnd(dist.lt(best));
                adv = NDArrays.where(rowsOf(closer, x), next, adv);
                best = NDArrays.where(closer, dist, best);
                // an adversarial iterate is pulled back towards the clean input
                x1 = NDArrays.where(rowsOf(isAdv, x), x.add(next.sub(x).mul(beta)), next);
                for (NDArray keep : new NDArray[] {x1, adv, best}) {
                    keep.attach(work);
                }
            }
        }
        return NDArrays.where(rowsOf(best.lt(Scalars.of(work, NONE)), x), adv, x);
    }

    /**
     * For untargeted FAB: f_k - f_y and grad f_k - grad f_y for every class k (n, K) and (n, K, D), with f_y - f_y set
     * to 1e10 so that the true class is never the nearest. The Jacobian comes from one backward pass over the batch
     * repeated once per class, each copy's output picking its class.
     */
    private static NDArray[] differences(Block model, NDArray x1, NDArray y, int classes, NDManager s) {
        int n = (int) x1.getShape().get(0);
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = x1.tile(new long[] {classes, 1, 1, 1});
            input.attach(s);
            input.setRequiresGradient(true);
            NDArray logits = Forward.logits(model, input, false);
            NDArray pickClass = s.arange(0, classes, 1, DataType.INT64).repeat(0, n).oneHot(classes).toType(logits.getDataType(), false);
            collector.backward(logits.mul(pickClass).sum());
            NDArray grad = input.getGradient().reshape(classes, n, -1).transpose(1, 0, 2);
            grad.attach(s);
            NDArray f = logits.stopGradient().get("0:" + n);
            int d = (int) grad.getShape().get(2);
            NDArray yIndex = y.toType(DataType.INT64, false).reshape(n, 1);
            NDArray df = f.sub(f.gather(yIndex, 1));
            NDArray dg = grad.sub(grad.gather(yIndex.reshape(n, 1, 1).repeat(2, d), 1));
            NDArray trueClass = y.oneHot(classes).toType(df.getDataType(), false).mul(Scalars.of(s, NONE));
            return new NDArray[] {df.add(trueClass), dg};
        }
    }

    /** For FAB-T: f_t - f_y and its gradient, (n, 1) and (n, 1, D). */
    private static NDArray[] differenceTo(Block model, NDArray x1, NDArray y, NDArray target, NDManager s) {
        int n = (int) x1.getShape().get(0);
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = x1.duplicate();
            input.attach(s);
            input.setRequiresGradient(true);
            NDArray logits = Forward.logits(model, input, false);
            NDArray diff = Losses.pick(logits, target).sub(Losses.pick(logits, y));
            collector.backward(diff.sum());
            NDArray grad = input.getGradient().reshape(n, 1, -1);
            grad.attach(s);
            return new NDArray[] {diff.stopGradient().reshape(n, 1), grad};
        }
    }

    /**
     * The smallest L-inf step {@code d} (rows of (M, D)) that takes each point {@code t} onto the hyperplane
     * {@code w . (t + d) = b} while {@code t + d} stays in [0,1]: {@code projection_linf} of AutoAttack, a sort of the
     * coordinates by how far they can move and a bisection over how many of them move to their bound. Rows that no
     * step reaches move as far as the box allows.
     */
    static NDArray projectLinf(NDArray points, NDArray hyperplane, NDArray offset) {
        NDManager m = points.getManager();
        int rows = (int) points.getShape().get(0);
        int dims = (int) points.getShape().get(1);
        NDArray zero = Scalars.of(m, 0f);
        NDArray one = Scalars.of(m, 1f);
        NDArray two = Scalars.of(m, 2f);
        NDArray t = points;
        NDArray side = hyperplane.mul(t).sum(new int[] {1}).sub(offset).gte(zero).toType(DataType.FLOAT32, false).mul(two).sub(one);
        NDArray w = hyperplane.mul(side.reshape(rows, 1));
        NDArray b = offset.mul(side);
        NDArray a = w.lt(zero).toType(DataType.FLOAT32, false);
        NDArray moves = w.neq(zero).toType(DataType.FLOAT32, false);
        NDArray d = a.sub(t).mul(moves);
        NDArray p = a.sub(t.mul(a.mul(two).sub(one)));
        NDArray order = p.argSort(1);
        b = b.sub(w.mul(t).sum(new int[] {1}));
        NDArray b0 = w.mul(d).sum(new int[] {1});
        NDArray reversed = order.flip(1);
        NDArray ws = w.gather(reversed, 1);
        NDArray bs2 = ws.neg().mul(d.gather(reversed, 1));
        NDArray s = ws.abs().cumSum(1);
        NDArray sb = bs2.cumSum(1).add(b0.reshape(rows, 1));
        NDArray sLast = s.get(":, " + (dims - 1));
        NDArray sbLast = sb.get(":, " + (dims - 1));
        NDArray b2 = sbLast.sub(sLast.mul(p.gather(order.get(":, 0:1"), 1).reshape(rows)));
        NDArray all = b.sub(b2).gt(zero);
        NDArray some = b.sub(b0).gt(zero).logicalAnd(all.logicalNot());
        NDArray lb = m.zeros(new Shape(rows), DataType.FLOAT32);
        NDArray ub = m.full(new Shape(rows), dims - 1, DataType.FLOAT32);
        NDArray last = m.full(new Shape(rows, 1), dims - 1, DataType.INT64);
        NDArray half = Scalars.of(m, 0.5f);
        int bisections = (int) Math.ceil(Math.log(dims) / Math.log(2));
        for (int i = 0; i < bisections; i++) {
            NDArray middle = lb.add(ub).mul(half).floor();
            NDArray at = middle.toType(DataType.INT64, false).reshape(rows, 1);
            NDArray current = order.gather(last.sub(at), 1);
            NDArray bound = sb.gather(at, 1).sub(s.gather(at, 1).mul(p.gather(current, 1))).reshape(rows);
            NDArray c = b.sub(bound).gt(zero);
            lb = NDArrays.where(c, middle, lb);
            ub = NDArrays.where(c, ub, middle);
        }
        NDArray at = lb.toType(DataType.INT64, false).reshape(rows, 1);
        NDArray lambdaAll = NDArrays.maximum(b.sub(sbLast).div(sLast.neg()), zero).reshape(rows, 1);
        NDArray dAll = a.mul(two).sub(one).mul(lambdaAll);
        NDArray lambda = NDArrays.maximum(b.reshape(rows, 1).sub(sb.gather(at, 1)).div(s.gather(at, 1).neg()), zero);
        NDArray dSome = NDArrays.minimum(lambda, d).mul(a).add(NDArrays.maximum(lambda.neg(), d).mul(one.sub(a)));
        NDArray out = NDArrays.where(all.reshape(rows, 1).broadcast(d.getShape()), dAll,
                NDArrays.where(some.reshape(rows, 1).broadcast(d.getShape()), dSome, d));
        return out.mul(moves);
    }

    /** The L-inf norm of each row of a batch. */
    private static NDArray linf(NDArray delta) {
        return delta.abs().reshape(delta.getShape().get(0), -1).max(new int[] {1});
    }

    /** A per-example flag broadcast to the image shape. */
    private static NDArray rowsOf(NDArray flags, NDArray like) {
        return flags.reshape(-1, 1, 1, 1).broadcast(like.getShape());
    }
}
