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
 * @param eot APGD: forward and backward passes averaged per step, for randomized models (expectation over
 *     transformations); 1 otherwise
 * @param ensemble the ensemble's version and stages (ENSEMBLE only; null elsewhere)
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
        String surrogate,
        int eot,
        Ensemble ensemble) {

    /** The versions of AutoAttack that {@link #autoAttack} builds, and {@code custom}, the stages the caller lists. */
    public static final java.util.List<String> VERSIONS = java.util.List.of("standard", "plus", "rand", "custom");

    /**
     * An ensemble: its version ({@code standard}, {@code plus}, {@code rand} or {@code custom}) and its stages, each
     * with its budget, run in order, each on the examples that every earlier stage left correctly classified.
     */
    public record Ensemble(String version, java.util.List<AttackSpec> stages) {
        public Ensemble {
            stages = java.util.List.copyOf(stages);
        }
    }

    /** An attack other than an ensemble, without expectation over transformations. */
    public AttackSpec(AttackType type, Norm norm, float epsilon, int steps, float stepSize, boolean randomStart, int restarts,
            Objective objective, boolean trainingMode, int queries, String surrogate) {
        this(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, trainingMode, queries, surrogate, 1, null);
    }

    public AttackSpec {
        eot = Math.max(1, eot);
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
        @SerializedName(value = "fab", alternate = "FAB") FAB,
        @SerializedName(value = "fab-t", alternate = "FAB_T") FAB_T,
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
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, n, objective, trainingMode, queries, surrogate, eot, ensemble);
    }

    public AttackSpec withObjective(Objective o) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, o, trainingMode, queries, surrogate, eot, ensemble);
    }

    public AttackSpec withTrainingMode(boolean training) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, training, queries, surrogate, eot, ensemble);
    }

    public AttackSpec withRandomStart(boolean start) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, start, restarts, objective, trainingMode, queries, surrogate, eot, ensemble);
    }

    public AttackSpec withEpsilon(float eps) {
        float ratio = epsilon > 0 ? stepSize / epsilon : 0.25f;
        Ensemble scaled = ensemble == null ? null
                : new Ensemble(ensemble.version(), ensemble.stages().stream().map(stage -> stage.withEpsilon(eps)).toList());
        return new AttackSpec(type, norm, eps, steps, ratio * eps, randomStart, restarts, objective, trainingMode, queries, surrogate, eot,
                scaled);
    }

    /** The same attack with {@code passes} forward and backward passes averaged per step (APGD). */
    public AttackSpec withEot(int passes) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, trainingMode, queries, surrogate,
                passes, ensemble);
    }

    /** The same attack, made on the surrogate model {@code key} and evaluated on the target. */
    public AttackSpec onSurrogate(String key) {
        return new AttackSpec(type, norm, epsilon, steps, stepSize, randomStart, restarts, objective, trainingMode, queries, key, eot, ensemble);
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

    /** Untargeted FAB (Croce and Hein, 2020) in L-inf: {@code steps} iterations, {@code restarts} runs. */
    public static AttackSpec fab(float epsilon, int steps, int restarts) {
        return new AttackSpec(AttackType.FAB, Norm.LINF, epsilon, steps, 0f, false, restarts, Objective.CW, false, 0, null);
    }

    /** Targeted FAB in L-inf, once towards each of the {@code targets} most likely wrong classes (AutoAttack's FAB-T). */
    public static AttackSpec fabT(float epsilon, int steps, int targets) {
        return new AttackSpec(AttackType.FAB_T, Norm.LINF, epsilon, steps, 0f, false, targets, Objective.CW, false, 0, null);
    }

    /** The Square attack with {@code queries} model queries per example. */
    public static AttackSpec square(float epsilon, int queries) {
        return new AttackSpec(AttackType.SQUARE, Norm.LINF, epsilon, 1, 0f, true, 1, Objective.CW, false, queries, null);
    }

    /** AutoAttack's standard version, with these budgets: APGD-CE, APGD-T and FAB-T over {@code targets} classes, Square. */
    public static AttackSpec ensemble(float epsilon, int steps, int targets, int queries) {
        return autoAttack("standard", epsilon, steps, targets, queries);
    }

    /**
     * AutoAttack (Croce and Hein, 2020) as its {@code set_version} sets it up, with {@code steps} iterations for the
     * gradient attacks, {@code targets} target classes and {@code queries} Square queries (AutoAttack's budgets: 100, 9
     * and 5,000):
     * <ul>
     *   <li>{@code standard}: APGD-CE, APGD-T, FAB-T, Square;</li>
     *   <li>{@code plus}: APGD-CE and APGD-DLR with 5 restarts, FAB with 5 restarts, Square with 5 restarts, APGD-T, FAB-T;</li>
     *   <li>{@code rand}, for randomized defences: APGD-CE and APGD-DLR, each step averaged over 20 passes.</li>
     * </ul>
     */
    public static AttackSpec autoAttack(String version, float epsilon, int steps, int targets, int queries) {
        java.util.List<AttackSpec> stages = switch (version) {
            case "standard" -> java.util.List.of(apgdCe(epsilon, steps), apgdT(epsilon, steps, targets), fabT(epsilon, steps, targets),
                    square(epsilon, queries));
            case "plus" -> java.util.List.of(apgdCe(epsilon, steps).withRestarts(5), apgdDlr(epsilon, steps).withRestarts(5),
                    fab(epsilon, steps, 5), square(epsilon, queries).withRestarts(5), apgdT(epsilon, steps, targets),
                    fabT(epsilon, steps, targets));
            case "rand" -> java.util.List.of(apgdCe(epsilon, steps).withEot(20), apgdDlr(epsilon, steps).withEot(20));
            default -> throw new IllegalArgumentException("version must be one of [standard, plus, rand] (or custom with its stages);"
                    + " got '" + version + "'");
        };
        return new AttackSpec(AttackType.ENSEMBLE, Norm.LINF, epsilon, steps, 2 * epsilon, true, targets, Objective.CE, false,
                Math.max(1, queries), null, 1, new Ensemble(version, stages));
    }

    /** An ensemble of the stages listed, in this order (version {@code custom}); no stage may be an ensemble or a transfer. */
    public static AttackSpec customEnsemble(float epsilon, java.util.List<AttackSpec> stages) {
        if (stages.isEmpty()) {
            throw new IllegalArgumentException("a custom ensemble needs at least one stage");
        }
        for (AttackSpec stage : stages) {
            if (stage.type() == AttackType.ENSEMBLE || stage.surrogate() != null) {
                throw new IllegalArgumentException("a stage of an ensemble cannot be an ensemble or a transfer attack");
            }
        }
        int steps = stages.stream().mapToInt(AttackSpec::steps).max().orElse(1);
        int queries = stages.stream().mapToInt(AttackSpec::queries).max().orElse(1);
        return new AttackSpec(AttackType.ENSEMBLE, Norm.LINF, epsilon, steps, 2 * epsilon, true, 1, Objective.CE, false,
                Math.max(1, queries), null, 1, new Ensemble("custom", stages));
    }

    /**
     * The stages of an ensemble. One stored before ensembles named their stages is AutoAttack's standard version with
     * its steps, targets ({@code restarts}) and queries.
     */
    public java.util.List<AttackSpec> stages() {
        if (type != AttackType.ENSEMBLE) {
            throw new IllegalStateException(type + " is not an ensemble");
        }
        return ensemble != null ? ensemble.stages() : autoAttack("standard", epsilon, steps, restarts, queries).ensemble().stages();
    }

    /** A short label such as {@code pgd-20} or {@code fgsm}. */
    public String label() {
        String inner = innerLabel();
        return surrogate == null ? inner : "transfer(" + inner + ")";
    }

    private String innerLabel() {
        switch (type) {
            case APGD_CE -> { return "apgd-ce-" + steps + (restarts > 1 ? "x" + restarts : "") + (eot > 1 ? "-eot" + eot : ""); }
            case APGD_DLR -> { return "apgd-dlr-" + steps + (restarts > 1 ? "x" + restarts : "") + (eot > 1 ? "-eot" + eot : ""); }
            case APGD_T -> { return "apgd-t-" + steps + "x" + restarts; }
            case SQUARE -> { return "square-" + queries + (restarts > 1 ? "x" + restarts : ""); }
            case FAB -> { return "fab-" + steps + (restarts > 1 ? "x" + restarts : ""); }
            case FAB_T -> { return "fab-t-" + steps + "x" + restarts; }
            case ENSEMBLE -> {
                String version = ensemble == null ? "standard" : ensemble.version();
                return version.equals("standard") ? "ensemble" : "ensemble-" + version;
            }
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
