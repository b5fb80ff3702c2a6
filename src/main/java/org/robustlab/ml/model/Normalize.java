package org.robustlab.ml.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Per-channel normalisation {@code (x - mean) / std} as the model's first layer, so that inputs and
 * attack budgets stay in [0,1] pixel units. The mean and std are constants of the architecture, not
 * trained parameters; the safetensors export writes them as the buffers {@code normalize.mean} and
 * {@code normalize.std} of shape (1, C, 1, 1).
 */
public final class Normalize extends AbstractBlock {

    private final float[] mean;
    private final float[] std;

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
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.singletonOrThrow();
        Shape s = new Shape(1, mean.length, 1, 1);
        NDArray m = x.getManager().create(mean, s).toDevice(x.getDevice(), false);
        NDArray sd = x.getManager().create(std, s).toDevice(x.getDevice(), false);
        return new NDList(x.sub(m).div(sd));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return inputShapes;
    }
}
