package org.robustlab.ml.training;

import java.util.Arrays;

/** The training methods, compared under one loop, one optimiser and the same data. */
public enum Method {
    /** CE on clean inputs. */
    STANDARD("standard"),
    /** Adversarial Robustness Regularization: CE(f(x), y) + lambda * D(f(x), f(x_adv)). */
    ARR("arr"),
    /** PGD adversarial training (Madry et al., 2018): CE(f(x_adv), y). */
    PGD_AT("pgd-at"),
    /** TRADES (Zhang et al., 2019): CE(f(x), y) + beta * KL(f(x) || f(x_adv)), x_adv maximising the KL. */
    TRADES("trades"),
    /**
     * MART (Wang et al., 2020): BCE(f(x_adv), y) + beta * mean(KL(f(x) || f(x_adv)) * (1 - f(x)_y)), x_adv maximising
     * the cross-entropy.
     */
    MART("mart"),
    /**
     * Fast adversarial training (Wong et al., 2020, "fast is better than free"): CE(f(x_adv), y), x_adv one FGSM step of
     * size alpha (default 1.25 epsilon) from a uniform random start in the epsilon ball, projected onto it.
     */
    FGSM_RS("fgsm-rs"),
    /**
     * N-FGSM (de Jorge et al., 2022): CE(f(x_adv), y), x_adv one FGSM step of size alpha (default epsilon) from x plus
     * uniform noise in [-noise, noise] (default 2 epsilon), not projected onto the epsilon ball.
     */
    N_FGSM("n-fgsm");

    private final String id;

    Method(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Method fromId(String value) {
        for (Method m : values()) {
            if (m.id.equalsIgnoreCase(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + value + "'; expected one of "
                + Arrays.stream(values()).map(Method::id).toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
