package org.robustlab.ml.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.robustlab.ml.nd.Devices;

/**
 * Per-channel normalisation {@code (x - mean) / std} as the model's first layer, so that inputs and
 * attack budgets stay in [0,1] pixel units. The mean and std are constants of the architecture, not
 * trained parameters; the safetensors export writes them as the buffers {@code normalize.mean} and
 * {@code normalize.std} of shape (1, C, 1, 1).
 *
 * <p>The two constants are copied to the model's device once, when the block is initialised in the
 * model's manager, and die with the model; a forward on another device (or before initialisation)
 * makes them for that call only.
 */
public final class Normalize extends AbstractBlock {

    private final float[] mean;
    private final float[] std;
    private volatile NDArray[] onDevice;

    public Normalize(float[] mean, float[] std) {
        super((byte) 1);
        if (mean.length != std.length) {
            throw new IllegalArgumentException("mean and std need one value per channel");
        }
        this.mean = mean.clone();
        this.std = std.clone();
    }

    public float[] mean() {
        return mean.clone();
    }

    public float[] std() {
        return std.clone();
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape s = shape();
        onDevice = new NDArray[] {manager.create(mean, s), manager.create(std, s)};
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        NDArray[] cached = onDevice;
        if (cached != null && !cached[0].isReleased() && Devices.same(cached[0].getDevice(), x.getDevice())) {
            return new NDList(x.sub(cached[0]).div(cached[1]));
        }
        NDArray m = x.getManager().create(mean, shape()).toDevice(x.getDevice(), false);
        NDArray sd = x.getManager().create(std, shape()).toDevice(x.getDevice(), false);
        return new NDList(x.sub(m).div(sd));
    }

    private Shape shape() {
        return new Shape(1, mean.length, 1, 1);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
