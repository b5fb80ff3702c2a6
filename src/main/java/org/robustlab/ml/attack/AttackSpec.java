package org.robustlab.ml.attack;

/**
 * An attack and its budget. {@code epsilon} and {@code stepSize} are in [0,1] pixel units (L-inf) or
 * in the L2 norm of the pixel difference (L2).
 *
 * @param type FGSM or PGD
 * @param norm the threat model
 * @param epsilon radius of the ball around the clean input
 * @param steps gradient steps (1 for FGSM)
 * @param stepSize step length per iteration
 * @param randomStart start from a uniform point of the ball (a tiny Gaussian for the KL objective)
 * @param restarts independent runs; each example keeps its worst case
 * @param objective the loss the attack maximises
 * @param trainingMode run the model in training mode (batch statistics) while attacking
 */
public record AttackSpec(
        AttackType type,
        Norm norm,
        float epsilon,
        int steps,
        float stepSize,
        boolean randomStart,
        int restarts,
        Objective objective,
        boolean trainingMode) {

    public AttackSpec {
        if (!(epsilon >= 0f) || epsilon > 1e3f) {
            throw new IllegalArgumentException("epsilon must be >= 0; got " + epsilon);
        }
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be >= 1; got " + steps);
        }
        if (!(stepSize >= 0f)) {
            throw new IllegalArgumentException("stepSize must be >= 0; got " + stepSize);
        }
        if (restarts < 1) {
            throw new IllegalArgumentException("restarts must be >= 1; got " + restarts);
        }
        if (type == AttackType.FGSM && steps != 1) {
            throw new IllegalArgumentException("FGSM takes exactly one step; got " + steps);
        }
    }

    public enum AttackType { FGSM, PGD }

    public enum Norm { LINF, L2 }

    /** CE: cross-entropy; CW: the margin loss of Carlini and Wagner; KL: KL to the clean output (TRADES). */
    public enum Objective { CE, CW, KL }

    /** FGSM (Goodfellow et al., 2015): one signed-gradient step of size epsilon, no random start. */
    public static AttackSpec fgsm(float epsilon) {
        return new AttackSpec(AttackType.FGSM, Norm.LINF, epsilon, 1, epsilon, false, 1, Objective.CE, false);
    }

    /** FGSM with a uniform random start and step 1.25 epsilon (Wong et al., 2020, "Fast is better than free"). */
    public static AttackSpec fgsmRandomStart(float epsilon) {
        return new AttackSpec(AttackType.FGSM, Norm.LINF, epsilon, 1, 1.25f * epsilon, true, 1, Objective.CE, false);
    }

    /** L-inf PGD (Madry et al., 2018) with a uniform random start. */
    public static AttackSpec pgd(float epsilon, int steps, float stepSize) {
        return new AttackSpec(AttackType.PGD, Norm.LINF, epsilon, steps, stepSize, true, 1, Objective.CE, false);
    }

    /** The evaluation default: PGD-20, step epsilon/4, random start. */
    public static AttackSpec pgd20(float epsilon) {
        return pgd(epsilon, 20, epsilon / 4f);
    }

    /** L2 PGD with a random start in the L2 ball. */
    public static AttackSpec pgdL2(float epsilon, int steps, float stepSize) {
        return new AttackSpec(AttackType.PGD, Norm.L2, epsilon, steps, stepSize, true, 1, Objective.CE, false);
    }

    public AttackSpec withRestarts(int n) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, n, objective, trainingMode);
    }

    public AttackSpec withObjective(Objective o) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, o, trainingMode);
    }

    public AttackSpec withTrainingMode(boolean training) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, training);
    }

    public AttackSpec withRandomStart(boolean start) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, start, restarts, objective, trainingMode);
    }

    public AttackSpec withEpsilon(float eps) {
        float ratio = epsilon > 0 ? stepSize / epsilon : 0.25f;
        return new AttackSpec(type, norm, eps, steps, ratio * eps, randomStart, restarts, objective, trainingMode);
    }

    /** A short label such as {@code pgd-20} or {@code fgsm}. */
    public String label() {
        String base = type == AttackType.FGSM ? "fgsm" : "pgd-" + steps;
        if (norm == Norm.L2) {
            base += "-l2";
        }
        if (objective == Objective.CW) {
            base += "-cw";
        } else if (objective == Objective.KL) {
            base += "-kl";
        }
        return restarts > 1 ? base + "x" + restarts : base;
    }
}
