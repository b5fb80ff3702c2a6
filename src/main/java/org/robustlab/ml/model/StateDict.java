package org.robustlab.ml.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.BatchNorm;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Maps a RobustLab network onto PyTorch's state-dict names and layout.
 *
 * <p>The name of a tensor is the path of module names from the root, as PyTorch builds it
 * ({@code layer1.0.conv1.weight}); the wrapper's {@code net} level is left out, so the names are
 * those of the usual PyTorch definitions of each architecture, plus {@code normalize.mean} and
 * {@code normalize.std}. Per layer:
 * <ul>
 *   <li>Conv2d and Linear: {@code weight} (same layout: out, in, kh, kw / out, in) and {@code bias};
 *   <li>BatchNorm: DJL's {@code gamma}, {@code beta}, {@code runningMean}, {@code runningVar} become
 *       {@code weight}, {@code bias}, {@code running_mean}, {@code running_var}, and PyTorch's int64
 *       {@code num_batches_tracked} is added;
 *   <li>Normalize: {@code mean} and {@code std} of shape (1, C, 1, 1).
 * </ul>
 */
public final class StateDict {

    private StateDict() {}

    /** A tensor to export: either a live parameter or constant values. */
    public record Entry(String name, long[] shape, Parameter parameter, float[] constant, long int64Value, boolean isInt64) {}

    /** The parameters of {@code root} (built by {@link Models#block}) by PyTorch name, in module order. */
    public static Map<String, Parameter> parameters(Block root) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        walk(root, "", out, null, 0);
        return out;
    }

    /** Every tensor PyTorch's {@code state_dict()} would hold, buffers included. */
    public static Map<String, Entry> entries(Block root, long batchesTracked) {
        Map<String, Entry> out = new LinkedHashMap<>();
        walk(root, "", null, out, batchesTracked);
        return out;
    }

    private static void walk(Block block, String prefix, Map<String, Parameter> params, Map<String, Entry> entries, long tracked) {
        if (block instanceof Normalize n) {
            if (entries != null) {
                long[] shape = {1, n.mean().length, 1, 1};
                entries.put(prefix + "mean", new Entry(prefix + "mean", shape, null, n.mean(), 0, false));
                entries.put(prefix + "std", new Entry(prefix + "std", shape, null, n.std(), 0, false));
            }
            return;
        }
        for (var p : block.getDirectParameters()) {
            String name = prefix + torchName(p.getKey());
            if (params != null) {
                params.put(name, p.getValue());
            }
            if (entries != null) {
                entries.put(name, new Entry(name, p.getValue().getArray().getShape().getShape(), p.getValue(), null, 0, false));
            }
        }
        if (block instanceof BatchNorm && entries != null) {
            String name = prefix + "num_batches_tracked";
            entries.put(name, new Entry(name, new long[0], null, null, tracked, true));
        }
        for (var child : block.getChildren()) {
            String childName = child.getKey().substring(2);
            String childPrefix = prefix.isEmpty() && childName.equals("net") ? "" : prefix + childName + ".";
            walk(child.getValue(), childPrefix, params, entries, tracked);
        }
    }

    private static String torchName(String djlName) {
        return switch (djlName) {
            case "gamma" -> "weight";
            case "beta" -> "bias";
            case "runningMean" -> "running_mean";
            case "runningVar" -> "running_var";
            default -> djlName;
        };
    }

    /** Copies {@code values} into a parameter, checking the element count. */
    static void assign(Parameter parameter, float[] values) {
        NDArray array = parameter.getArray();
        if (array.getShape().size() != values.length) {
            throw new IllegalArgumentException("expected " + array.getShape().size() + " values; got " + values.length);
        }
        array.set(values);
    }
}
