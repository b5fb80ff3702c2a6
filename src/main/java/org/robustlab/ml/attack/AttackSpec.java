package org.robustlab.ml.attack;

import com.google.gson.annotations.SerializedName;

/**
 * An attack and its budget. {@code epsilon} and {@code stepSize} are in [0,1] pixel units (L-inf) or
 * in the L2 norm of the pixel difference (L2).
 *
 * @param type the attack; the APGD types and Square are L-inf only
 * @param norm the threat model
 * @param epsilon radius of the ball around the clean input
 * @param steps gradient steps (1 for FGSM)
 * @param stepSize step length per iteration
 * @param randomStart start from a uniform point of the ball (a tiny Gaussian for the KL objective)
 * @param restarts independent runs; each example keeps its worst case (for APGD-T: the number of target classes)
 * @param objective the loss the attack maximises
 * @param trainingMode run the model in training mode (batch statistics) while attacking
 * @param queries the query budget per example of the Square attack (and of the ensemble's Square stage)
 * @param surrogate when not null, the attack is made on this surrogate model (a key the evaluator
 *     resolves) and its examples are evaluated on the target: a transfer (black-box) attack
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
        boolean trainingMode,
        int queries,
        String surrogate) {

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
        if (type.linfOnly() && norm != Norm.LINF) {
            throw new IllegalArgumentException(type + " is implemented for the L-inf threat model only");
        }
        if ((type == AttackType.SQUARE || type == AttackType.ENSEMBLE) && queries < 1) {
            throw new IllegalArgumentException("queries must be >= 1; got " + queries);
        }
    }

    /**
     * FGSM and PGD; APGD with cross-entropy, with the DLR loss, and targeted DLR (Croce and Hein, 2020);
     * the Square attack (Andriushchenko et al., 2020); and the AutoAttack-style ensemble APGD-CE, then
     * APGD-T, then Square, each run only on the examples the previous ones did not break.
     */
    public enum AttackType {
        // written as the API's requests spell them; the alternates read files written before
        @SerializedName(value = "fgsm", alternate = "FGSM") FGSM,
        @SerializedName(value = "pgd", alternate = "PGD") PGD,
        @SerializedName(value = "apgd-ce", alternate = "APGD_CE") APGD_CE,
        @SerializedName(value = "apgd-dlr", alternate = "APGD_DLR") APGD_DLR,
        @SerializedName(value = "apgd-t", alternate = "APGD_T") APGD_T,
        @SerializedName(value = "square", alternate = "SQUARE") SQUARE,
        @SerializedName(value = "ensemble", alternate = "ENSEMBLE") ENSEMBLE;

        boolean linfOnly() {
            return this != FGSM && this != PGD;
        }
    }

    public enum Norm {
        @SerializedName(value = "linf", alternate = "LINF") LINF,
        @SerializedName(value = "l2", alternate = "L2") L2
    }

    /** CE: cross-entropy; CW: the margin loss of Carlini and Wagner; KL: KL to the clean output (TRADES). */
    public enum Objective {
        @SerializedName(value = "ce", alternate = "CE") CE,
        @SerializedName(value = "cw", alternate = "CW") CW,
        @SerializedName(value = "kl", alternate = "KL") KL
    }

    /** FGSM (Goodfellow et al., 2015): one signed-gradient step of size epsilon, no random start. */
    public static AttackSpec fgsm(float epsilon) {
        return new AttackSpec(AttackType.FGSM, Norm.LINF, epsilon, 1, epsilon, false, 1, Objective.CE, false, 0, null);
    }

    /** FGSM with a uniform random start and step 1.25 epsilon (Wong et al., 2020, "Fast is better than free"). */
    public static AttackSpec fgsmRandomStart(float epsilon) {
        return new AttackSpec(AttackType.FGSM, Norm.LINF, epsilon, 1, 1.25f * epsilon, true, 1, Objective.CE, false, 0, null);
    }

    /** L-inf PGD (Madry et al., 2018) with a uniform random start. */
    public static AttackSpec pgd(float epsilon, int steps, float stepSize) {
        return new AttackSpec(AttackType.PGD, Norm.LINF, epsilon, steps, stepSize, true, 1, Objective.CE, false, 0, null);
    }

    /** The evaluation default: PGD-20, step epsilon/4, random start. */
    public static AttackSpec pgd20(float epsilon) {
        return pgd(epsilon, 20, epsilon / 4f);
    }

    /** L2 PGD with a random start in the L2 ball. */
    public static AttackSpec pgdL2(float epsilon, int steps, float stepSize) {
        return new AttackSpec(AttackType.PGD, Norm.L2, epsilon, steps, stepSize, true, 1, Objective.CE, false, 0, null);
    }

    public AttackSpec withRestarts(int n) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, n, objective, trainingMode, queries, surrogate);
    }

    public AttackSpec withObjective(Objective o) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, o, trainingMode, queries, surrogate);
    }

    public AttackSpec withTrainingMode(boolean training) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, training, queries, surrogate);
    }

    public AttackSpec withRandomStart(boolean start) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, start, restarts, objective, trainingMode, queries, surrogate);
    }

    public AttackSpec withEpsilon(float eps) {
        float ratio = epsilon > 0 ? stepSize / epsilon : 0.25f;
        return new AttackSpec(type, norm, eps, steps, ratio * eps, randomStart, restarts, objective, trainingMode, queries, surrogate);
    }

    /** The same attack, made on the surrogate model {@code key} and evaluated on the target. */
    public AttackSpec onSurrogate(String key) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, trainingMode, queries, key);
    }

    /** APGD with cross-entropy: {@code steps} iterations, the step-size schedule of Croce and Hein. */
    public static AttackSpec apgdCe(float epsilon, int steps) {
        return new AttackSpec(AttackType.APGD_CE, Norm.LINF, epsilon, steps, 2 * epsilon, true, 1, Objective.CE, false, 0, null);
    }

    /** APGD with the difference-of-logits-ratio loss. */
    public static AttackSpec apgdDlr(float epsilon, int steps) {
        return new AttackSpec(AttackType.APGD_DLR, Norm.LINF, epsilon, steps, 2 * epsilon, true, 1, Objective.CW, false, 0, null);
    }

    /** Targeted APGD-DLR, once towards each of the {@code targets} most likely wrong classes. */
    public static AttackSpec apgdT(float epsilon, int steps, int targets) {
        return new AttackSpec(AttackType.APGD_T, Norm.LINF, epsilon, steps, 2 * epsilon, true, targets, Objective.CW, false, 0, null);
    }

    /** The Square attack with {@code queries} model queries per example. */
    public static AttackSpec square(float epsilon, int queries) {
        return new AttackSpec(AttackType.SQUARE, Norm.LINF, epsilon, 1, 0f, true, 1, Objective.CW, false, queries, null);
    }

    /** APGD-CE, then APGD-T over {@code targets} classes, then Square, on the examples still correct. */
    public static AttackSpec ensemble(float epsilon, int steps, int targets, int queries) {
        return new AttackSpec(AttackType.ENSEMBLE, Norm.LINF, epsilon, steps, 2 * epsilon, true, targets, Objective.CE, false, queries, null);
    }

    /** A short label such as {@code pgd-20} or {@code fgsm}. */
    public String label() {
        String inner = innerLabel();
        return surrogate == null ? inner : "transfer(" + inner + ")";
    }

    private String innerLabel() {
        switch (type) {
            case APGD_CE -> { return "apgd-ce-" + steps; }
            case APGD_DLR -> { return "apgd-dlr-" + steps; }
            case APGD_T -> { return "apgd-t-" + steps + "x" + restarts; }
            case SQUARE -> { return "square-" + queries; }
            case ENSEMBLE -> { return "ensemble"; }
            default -> { }
        }
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
