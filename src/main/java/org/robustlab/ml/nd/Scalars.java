package org.robustlab.ml.nd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Constants as 0-dim arrays filled on the device.
 *
 * <p>Why: DJL's {@code x.mul(0.5f)} and every other {@code Number} overload of the PyTorch engine
 * first makes {@code manager.create(0.5f)}, a host buffer copied to the device. On a GPU that copy is
 * synchronous, so each such operation waits for every kernel queued before it: a dozen of them per
 * attack iteration, three per parameter in an optimiser step. A scalar made here is a fill kernel on
 * the device instead, queued like any other. The engine's hot paths use these, never the
 * {@code Number} overloads ({@code EngineDeviceRulesTest} keeps it so); {@code clip(min, max)} is the
 * exception, since its bounds travel to libtorch as plain numbers.
 */
public final class Scalars {

    private Scalars() {}

    /** A 0-dim float32 array holding {@code value}, on {@code manager}'s device and attached to it. */
    public static NDArray of(NDManager manager, float value) {
        return manager.full(new Shape(), value, DataType.FLOAT32);
    }

    /** A 0-dim float32 array holding {@code value}, on {@code like}'s device and in its manager. */
    public static NDArray like(NDArray like, float value) {
        return of(like.getManager(), value);
    }
}
