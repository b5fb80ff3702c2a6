package org.robustlab.ml.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import org.robustlab.ml.nd.Scalars;

/**
 * SGD with momentum, Nesterov and weight decay, with PyTorch's update rule so that figures compare:
 * {@code d = g + wd * p; buf = momentum * buf + d; p -= lr * (nesterov ? d + momentum * buf : buf)}.
 *
 * <p>Written here rather than taken from DJL because a checkpoint must hold the momentum buffers to
 * resume exactly, and DJL's optimiser keeps them private.
 *
 * <p>The update is multi-tensor, like PyTorch's {@code foreach} SGD: the gradients and parameters
 * are concatenated into flat vectors, the arithmetic runs once over all of them against one flat
 * momentum buffer, and each parameter then takes its slice of the update. That is a handful of
 * operations per step plus one subtraction and one gradient reset per parameter, instead of seven
 * operations per parameter, and the constants are device scalars, so nothing is copied from the host.
 * Element by element the arithmetic is the per-parameter rule above, in the same order. Temporaries
 * live in a sub-manager closed at the end of the step.
 */
public final class Sgd {

    private final List<NDArray> params;
    private final long[] splits;
    private final NDArray buffer;
    private final NDArray momentum;
    private final NDArray weightDecay;
    private final boolean nesterov;
    private final boolean decay;

    /**
     * @param params the trained parameter arrays, all on one device
     * @param stateManager where the momentum buffer lives (the model's manager)
     */
    public Sgd(List<NDArray> params, float momentum, boolean nesterov, float weightDecay, NDManager stateManager) {
        if (params.isEmpty()) {
            throw new IllegalArgumentException("nothing to optimise: no parameters");
        }
        this.params = List.copyOf(params);
        this.splits = new long[params.size() - 1];
        long total = 0;
        for (int i = 0; i < params.size(); i++) {
            total += params.get(i).getShape().size();
            if (i < splits.length) {
                splits[i] = total;
            }
        }
        this.buffer = stateManager.zeros(new Shape(total), DataType.FLOAT32, params.get(0).getDevice());
        this.momentum = Scalars.of(stateManager, momentum);
        this.weightDecay = Scalars.of(stateManager, weightDecay);
        this.nesterov = nesterov;
        this.decay = weightDecay != 0f;
    }

    /** Applies one update with learning rate {@code lr}, then zeroes the gradients. */
    public void step(float lr) {
        try (NDManager s = buffer.getManager().newSubManager()) {
            s.tempAttachAll(buffer, momentum, weightDecay);
            s.tempAttachAll(params.toArray(NDArray[]::new));
            NDList grads = new NDList(params.size());
            NDList flatGrads = new NDList(params.size());
            NDList flatParams = new NDList(params.size());
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.attach(s);
                grads.add(g);
                flatGrads.add(g.reshape(-1));
                flatParams.add(p.reshape(-1));
            }
            NDArray d = NDArrays.concat(flatGrads);
            if (decay) {
                d = d.add(NDArrays.concat(flatParams).mul(weightDecay));
            }
            buffer.muli(momentum).addi(d);
            NDArray lrScalar = Scalars.of(s, lr);
            NDArray update = nesterov ? d.add(buffer.mul(momentum)).mul(lrScalar) : buffer.mul(lrScalar);
            NDList slices = params.size() == 1 ? new NDList(update) : update.split(splits);
            for (int i = 0; i < params.size(); i++) {
                NDArray p = params.get(i);
                p.subi(slices.get(i).reshape(p.getShape()));
            }
            for (NDArray g : grads) {
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

    /** The momentum buffers, one per parameter (each flattened), for a checkpoint. */
    public float[][] state() {
        float[] all = buffer.toFloatArray();
        float[][] out = new float[params.size()][];
        int offset = 0;
        for (int i = 0; i < params.size(); i++) {
            int n = (int) params.get(i).getShape().size();
            out[i] = Arrays.copyOfRange(all, offset, offset + n);
            offset += n;
        }
        return out;
    }

    /** Restores the momentum buffers from {@link #state()}. */
    public void loadState(float[][] state) {
        if (state.length != params.size()) {
            throw new IllegalArgumentException("optimizer state has " + state.length + " buffers; expected " + params.size());
        }
        float[] all = new float[Math.toIntExact(buffer.getShape().size())];
        int offset = 0;
        for (int i = 0; i < state.length; i++) {
            long n = params.get(i).getShape().size();
            if (state[i].length != n) {
                throw new IllegalArgumentException("optimizer buffer " + i + " has " + state[i].length + " values; expected " + n);
            }
            System.arraycopy(state[i], 0, all, offset, state[i].length);
            offset += state[i].length;
        }
        buffer.set(all);
    }
}
