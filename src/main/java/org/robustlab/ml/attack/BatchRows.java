package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import java.util.Arrays;
import org.robustlab.ml.model.Forward;

/**
 * Row subsets of a batch, so that strong attacks spend their budget only on the examples that are
 * still classified correctly. The copies go through host memory: a batch of images is small next
 * to the forward and backward passes an attack makes on it.
 */
final class BatchRows {

    private BatchRows() {}

    /** Indices where {@code flags} is true. */
    static int[] where(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            if (f) {
                n++;
            }
        }
        int[] out = new int[n];
        int k = 0;
        for (int i = 0; i < flags.length; i++) {
            if (flags[i]) {
                out[k++] = i;
            }
        }
        return out;
    }

    /** Which examples {@code model} classifies correctly (inference mode). */
    static boolean[] correct(Block model, NDArray x, NDArray y) {
        try (NDManager s = x.getManager().newSubManager()) {
            s.tempAttachAll(x, y);
            return matches(Forward.predictions(model, x), y);
        }
    }

    /** Whether each prediction equals its label. */
    static boolean[] matches(int[] predictions, NDArray y) {
        int[] labels = y.toType(DataType.INT32, false).toIntArray();
        boolean[] out = new boolean[predictions.length];
        for (int i = 0; i < predictions.length; i++) {
            out[i] = predictions[i] == labels[i];
        }
        return out;
    }

    /** Rows {@code idx} of {@code a} (float images or integer labels), in {@code m}. */
    static NDArray take(NDArray a, int[] idx, NDManager m) {
        long[] dims = a.getShape().getShape();
        int row = (int) (a.getShape().size() / dims[0]);
        long[] outDims = dims.clone();
        outDims[0] = idx.length;
        if (a.getDataType() == DataType.FLOAT32) {
            float[] src = a.toFloatArray();
            float[] dst = new float[idx.length * row];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(src, idx[i] * row, dst, i * row, row);
            }
            return m.create(dst, new Shape(outDims)).toDevice(a.getDevice(), false);
        }
        int[] src = a.toType(DataType.INT32, false).toIntArray();
        int[] dst = new int[idx.length * row];
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(src, idx[i] * row, dst, i * row, row);
        }
        return m.create(dst, new Shape(outDims)).toType(a.getDataType(), false).toDevice(a.getDevice(), false);
    }

    /** A copy of {@code base} whose rows {@code idx} are the rows of {@code rows}, in {@code base}'s manager. */
    static NDArray put(NDArray base, NDArray rows, int[] idx) {
        float[] dst = base.toFloatArray();
        float[] src = rows.toFloatArray();
        int row = (int) (base.getShape().size() / base.getShape().get(0));
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(src, i * row, dst, idx[i] * row, row);
        }
        return base.getManager().create(dst, base.getShape()).toDevice(base.getDevice(), false);
    }

    static boolean any(boolean[] flags) {
        for (boolean f : flags) {
            if (f) {
                return true;
            }
        }
        return false;
    }

    static boolean[] copyOf(boolean[] a) {
        return Arrays.copyOf(a, a.length);
    }
}
