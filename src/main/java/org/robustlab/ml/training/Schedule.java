package org.robustlab.ml.training;

import java.util.Arrays;
import java.util.List;

/**
 * Learning-rate schedules, as a function of fractional epochs t in [0, epochs).
 *
 * @param type the shape
 * @param milestones the (fractional) epochs at which a multistep schedule multiplies by {@code gamma}
 * @param gamma the multistep factor
 * @param peakFraction where a piecewise-linear schedule peaks, as a fraction of the run
 */
public record Schedule(Type type, List<Double> milestones, float gamma, float peakFraction) {

    public enum Type {
        /** lr constant. */
        CONSTANT,
        /** lr times gamma at each milestone (the paper: 0.1 at epochs 100 and 150 of 200). */
        MULTISTEP,
        /** Cosine annealing from lr to 0, per batch. */
        COSINE,
        /** Linear from 0 up to lr at peakFraction, then down to 0, per batch (Fast-AT's cyclic schedule). */
        PIECEWISE_LINEAR;

        public static Type fromId(String value) {
            for (Type t : values()) {
                if (t.name().equalsIgnoreCase(value.replace('-', '_'))) {
                    return t;
                }
            }
            throw new IllegalArgumentException("unknown schedule '" + value
                    + "'; expected one of [constant, multistep, cosine, piecewise-linear]");
        }
    }

    public Schedule {
        milestones = milestones == null ? List.of() : List.copyOf(milestones);
        if (!(gamma > 0f) || gamma > 1f) {
            throw new IllegalArgumentException("gamma must be in (0, 1]; got " + gamma);
        }
        if (!(peakFraction > 0f) || peakFraction >= 1f) {
            throw new IllegalArgumentException("peakFraction must be in (0, 1); got " + peakFraction);
        }
    }

    public static Schedule constant() {
        return new Schedule(Type.CONSTANT, List.of(), 1f, 0.4f);
    }

    /**
     * The paper's schedule scaled to {@code epochs}: times 0.1 at 50% and 75% of the run (epochs 100 and 150
     * of 200). The milestones are fractional, so that a short run decays half-way through it too (a 1-epoch
     * run at 0.5 and 0.75 of its epoch), not from its first batch.
     */
    public static Schedule paper(int epochs) {
        return new Schedule(Type.MULTISTEP, List.of(epochs * 0.5, epochs * 0.75), 0.1f, 0.4f);
    }

    /** lr times {@code gamma} at each of the whole epochs {@code milestones}. */
    public static Schedule multistep(List<Integer> milestones, float gamma) {
        return new Schedule(Type.MULTISTEP, milestones.stream().map(Integer::doubleValue).toList(), gamma, 0.4f);
    }

    public static Schedule cosine() {
        return new Schedule(Type.COSINE, List.of(), 1f, 0.4f);
    }

    public static Schedule piecewiseLinear(float peakFraction) {
        return new Schedule(Type.PIECEWISE_LINEAR, List.of(), 1f, peakFraction);
    }

    /** The learning rate at fractional epoch {@code t} of a run of {@code epochs} with base rate {@code base}. */
    public float at(float base, double t, int epochs) {
        return switch (type) {
            case CONSTANT -> base;
            case MULTISTEP -> {
                long passed = milestones.stream().filter(m -> t >= m).count();
                yield (float) (base * Math.pow(gamma, passed));
            }
            case COSINE -> (float) (base * 0.5 * (1 + Math.cos(Math.PI * t / epochs)));
            case PIECEWISE_LINEAR -> {
                double peak = peakFraction * epochs;
                double v = t <= peak ? t / peak : Math.max(0, (epochs - t) / (epochs - peak));
                yield (float) (base * v);
            }
        };
    }

    @Override
    public String toString() {
        return type == Type.MULTISTEP ? "multistep" + Arrays.toString(milestones.toArray()) + "x" + gamma : type.name().toLowerCase();
    }
}
