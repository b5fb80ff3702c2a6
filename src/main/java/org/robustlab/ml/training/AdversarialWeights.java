package org.robustlab.ml.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.nd.Scalars;

/**
 * Adversarial weight perturbation (AWP; Wu et al., NeurIPS 2020), as its reference code computes it: the gradient g
 * of the method's own loss at the current weights (one forward and backward in training mode), then every weight
 * matrix and convolution kernel w (each parameter of more than one dimension; biases and BatchNorm's scales are left
 * alone) moves by {@code gamma * |w| / (|g| + 1e-20) * g}. The reference takes g on a proxy copy of the model so that
 * BatchNorm's running statistics are untouched; here the model's own statistics are saved before that pass and put
 * back after it. The gradients it leaves are zeroed, so the update's gradient is taken at the moved weights alone.
 */
final class AdversarialWeights {

    private AdversarialWeights() {}

    /** A move of the weights, taken back by {@link #restore()}; its arrays live in the step's manager. */
    static final class Move {
        private final List<NDArray> weights;
        private final List<NDArray> deltas;

        private Move(List<NDArray> weights, List<NDArray> deltas) {
            this.weights = weights;
            this.deltas = deltas;
        }

        /** How many weights it moved. */
        int size() {
            return weights.size();
        }

        /** Subtracts the move from the weights (after the optimiser's update, as the reference code does). */
        void restore() {
            for (int i = 0; i < weights.size(); i++) {
                weights.get(i).subi(deltas.get(i));
            }
        }
    }

    /** Moves the weights of {@code block} up the gradient of {@code loss} (evaluated inside a gradient collector); arrays in {@code s}. */
    static Move perturb(Block block, float gamma, Supplier<NDArray> loss, NDManager s) {
        List<NDArray> trainable = new ArrayList<>();
        List<NDArray> running = new ArrayList<>();
        for (Parameter p : block.getParameters().values()) {
            (Models.isTrainable(p) ? trainable : running).add(p.getArray());
        }
        List<NDArray> saved = new ArrayList<>(running.size());
        for (NDArray r : running) {
            NDArray copy = r.duplicate();
            copy.attach(s);
            saved.add(copy);
        }
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            collector.backward(loss.get());
        }
        for (int i = 0; i < running.size(); i++) {
            running.get(i).subi(running.get(i)).addi(saved.get(i));
        }
        List<NDArray> weights = new ArrayList<>();
        List<NDArray> deltas = new ArrayList<>();
        for (NDArray w : trainable) {
            NDArray g = w.getGradient();
            g.attach(s);
            if (w.getShape().dimension() > 1) {
                // w.norm() would live in the model's manager, as every result of an operation on w does: it joins the step's
                NDArray weightNorm = w.norm();
                weightNorm.attach(s);
                NDArray scale = weightNorm.mul(Scalars.like(g, gamma)).div(g.norm().add(Scalars.like(g, 1e-20f)));
                weights.add(w);
                deltas.add(g.mul(scale));
            }
        }
        for (NDArray w : trainable) {
            try (NDArray g = w.getGradient()) {
                g.subi(g);
            }
        }
        for (int i = 0; i < weights.size(); i++) {
            weights.get(i).addi(deltas.get(i));
        }
        return new Move(weights, deltas);
    }
}
