package org.robustlab.ml.attack;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import org.robustlab.ml.model.Forward;

/**
 * Row subsets of a batch, so that strong attacks spend their budget only on the examples that are
 * still classified correctly. Which rows are still correct is decided on the host once per stage or
 * restart (one read of the predictions); the rows are then gathered and scattered on the device,
 * through an index array copied there once.
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

    /** Which examples {@code model} classifies correctly (inference mode): one read of the device. */
    static boolean[] correct(Block model, NDArray x, NDArray y) {
        try (NDManager s = x.getManager().newSubManager()) {
            s.tempAttachAll(x, y);
            return Forward.logits(model, x, false).argMax(1).toType(y.getDataType(), false).eq(y).toBooleanArray();
        }
    }

    /** The row indices {@code idx} as an int64 array on {@code m}'s device. */
    static NDArray index(NDManager m, int[] idx) {
        long[] rows = new long[idx.length];
        for (int i = 0; i < idx.length; i++) {
            rows[i] = idx[i];
        }
        return m.create(rows);
    }

    /** Rows {@code rows} (an {@link #index}) of {@code a}, gathered on the device, in {@code a}'s manager. */
    static NDArray take(NDArray a, NDArray rows) {
        return a.get(new NDIndex("{}", rows));
    }

    /** Sets rows {@code rows} (an {@link #index}) of {@code base} to the rows of {@code values}, in place on the device. */
    static void put(NDArray base, NDArray values, NDArray rows) {
        base.set(new NDIndex("{}", rows), values);
    }

    static boolean any(boolean[] flags) {
        for (boolean f : flags) {
            if (f) {
                return true;
            }
        }
        return false;
    }

}
