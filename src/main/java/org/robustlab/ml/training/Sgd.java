package org.robustlab.ml.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * SGD with momentum, Nesterov and weight decay, with PyTorch's update rule so that figures compare:
 * {@code d = g + wd * p; buf = momentum * buf + d; p -= lr * (nesterov ? d + momentum * buf : buf)}.
 *
 * <p>Written here rather than taken from DJL because a checkpoint must hold the momentum buffers to
 * resume exactly, and DJL's optimiser keeps them private. All updates are in place; temporaries are
 * closed at once, so no array outlives the step.
 */
public final class Sgd {

    private final List<NDArray> params;
    private final List<NDArray> buffers = new ArrayList<>();
    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;

    /**
     * @param params the trained parameter arrays
     * @param stateManager where the momentum buffers live (the model's manager)
     */
    public Sgd(List<NDArray> params, float momentum, boolean nesterov, float weightDecay, NDManager stateManager) {
        this.params = List.copyOf(params);
        this.momentum = momentum;
        this.nesterov = nesterov;
        this.weightDecay = weightDecay;
        for (NDArray p : params) {
            buffers.add(stateManager.zeros(p.getShape(), p.getDataType(), p.getDevice()));
        }
    }

    /** Applies one update with learning rate {@code lr}, then zeroes the gradients. */
    public void step(float lr) {
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            NDArray buf = buffers.get(i);
            try (NDArray g = p.getGradient()) {
                if (weightDecay != 0f) {
                    try (NDArray decay = p.mul(weightDecay)) {
                        g.addi(decay);
                    }
                }
                buf.muli(momentum).addi(g);
                if (nesterov) {
                    try (NDArray look = buf.mul(momentum)) {
                        g.addi(look);
                    }
                    try (NDArray update = g.mul(lr)) {
                        p.subi(update);
                    }
                } else {
                    try (NDArray update = buf.mul(lr)) {
                        p.subi(update);
                    }
                }
                g.subi(g);
            }
        }
    }

    /** Sets every parameter gradient to zero. */
    public void zeroGradients() {
        for (NDArray p : params) {
            try (NDArray g = p.getGradient()) {
                g.subi(g);
            }
        }
    }

    /** The momentum buffers, for a checkpoint. */
    public float[][] state() {
        float[][] out = new float[buffers.size()][];
        for (int i = 0; i < buffers.size(); i++) {
            out[i] = buffers.get(i).toFloatArray();
        }
        return out;
    }

    /** Restores the momentum buffers from {@link #state()}. */
    public void loadState(float[][] state) {
        if (state.length != buffers.size()) {
            throw new IllegalArgumentException("optimizer state has " + state.length + " buffers; expected " + buffers.size());
        }
        for (int i = 0; i < state.length; i++) {
            buffers.get(i).set(state[i]);
        }
    }
}
