package org.robustlab.ml.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;

/** Forward passes outside DJL's Trainer, which always runs in training mode. */
public final class Forward {

    private Forward() {}

    /**
     * Logits of {@code block} on {@code x}; {@code training=false} gives BatchNorm's running statistics
     * and no dropout. The outputs live in {@code x}'s manager.
     */
    public static NDArray logits(Block block, NDArray x, boolean training) {
        ParameterStore ps = new ParameterStore(x.getManager(), false);
        return block.forward(ps, new NDList(x), training).singletonOrThrow();
    }

    /** Predicted classes of {@code block} on {@code x}, in inference mode. */
    public static int[] predictions(Block block, NDArray x) {
        return classes(logits(block, x, false));
    }

    /** The index of the largest logit of each row. */
    public static int[] classes(NDArray logits) {
        return logits.argMax(1).toType(DataType.INT32, false).toIntArray();
    }

    /**
     * Switches gradient tracking of the trained parameters on or off (never BatchNorm's running
     * statistics: DJL's {@code freezeParameters(boolean)} would turn them on and break the next
     * forward). Attacks switch it off so that they leave no gradient on the parameters and skip the
     * weight-gradient work of the backward pass.
     */
    public static void trackParameterGradients(Block block, boolean track) {
        for (Parameter p : block.getParameters().values()) {
            if (Models.isTrainable(p) && p.isInitialized()) {
                p.getArray().setRequiresGradient(track);
            }
        }
    }
}
