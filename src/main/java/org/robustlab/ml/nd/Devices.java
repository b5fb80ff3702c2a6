package org.robustlab.ml.nd;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;

/**
 * The check that the arrays of a step live on the model's device. On a GPU an array made on the host
 * by mistake either fails deep inside libtorch ("expected all tensors to be on the same device") or,
 * worse, silently moves the work to the CPU; this check names the array instead. It costs one
 * lookup per array and makes no device work.
 */
public final class Devices {

    private Devices() {}

    /**
     * Throws an {@link IllegalStateException} naming the first array of {@code arrays} (named by
     * {@code names}, pairwise) that is not on {@code expected}. Null arrays are skipped.
     */
    public static void require(Device expected, String[] names, NDArray... arrays) {
        for (int i = 0; i < arrays.length; i++) {
            NDArray a = arrays[i];
            if (a != null && !same(expected, a.getDevice())) {
                throw new IllegalStateException((i < names.length ? names[i] : "array " + i) + " is on " + a.getDevice()
                        + ", not on the model's device " + expected);
            }
        }
    }

    /** Whether two devices are the same; CPU device ids (-1 or 0, depending on who made it) are not told apart. */
    public static boolean same(Device a, Device b) {
        if (a.isGpu() || b.isGpu()) {
            return a.isGpu() && b.isGpu() && a.getDeviceId() == b.getDeviceId();
        }
        return a.getDeviceType().equals(b.getDeviceType());
    }
}
