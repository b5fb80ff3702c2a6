package org.robustlab.ml.evaluation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.util.List;
import org.robustlab.ml.model.NamedSequential;

/** The penultimate features of the models of {@code ml/model}: everything but the last layer. */
public final class Features {

    private Features() {}

    /** Whether {@link #penultimate} can cut {@code model} before its last layer. */
    public static boolean supported(Block model) {
        return model instanceof NamedSequential && !model.getChildren().isEmpty();
    }

    /** The name of the last layer, whose input {@link #penultimate} returns. */
    public static String lastLayer(Block model) {
        StringBuilder name = new StringBuilder();
        Block b = model;
        while (b instanceof NamedSequential) {
            var children = b.getChildren();
            String key = children.keys().get(children.size() - 1);
            // DJL prefixes child names with their position ("02net"); PyTorch's names have no prefix
            name.append(name.length() == 0 ? "" : ".").append(key.replaceFirst("^\\d{2}", ""));
            b = children.get(children.size() - 1).getValue();
        }
        return name.toString();
    }

    /** The input of the last layer, flattened to (N, D), in inference mode; lives in {@code x}'s manager. */
    public static NDArray penultimate(Block model, NDArray x) {
        ParameterStore ps = new ParameterStore(x.getManager(), false);
        NDList current = new NDList(x);
        Block b = model;
        while (b instanceof NamedSequential) {
            List<Block> children = b.getChildren().values();
            for (int i = 0; i < children.size() - 1; i++) {
                current = children.get(i).forward(ps, current, false);
            }
            b = children.get(children.size() - 1);
        }
        NDArray out = current.singletonOrThrow();
        return out.reshape(out.getShape().get(0), -1);
    }

    /**
     * Between-class over within-class variance of rows {@code f} (N*D, row-major) with labels {@code y}.
     */
    public static double separation(float[] f, int[] y, int dim, int classes) {
        int n = y.length;
        double[][] mean = new double[classes][dim];
        double[] all = new double[dim];
        int[] count = new int[classes];
        for (int i = 0; i < n; i++) {
            count[y[i]]++;
            for (int d = 0; d < dim; d++) {
                mean[y[i]][d] += f[i * dim + d];
                all[d] += f[i * dim + d];
            }
        }
        for (int d = 0; d < dim; d++) {
            all[d] /= n;
        }
        double between = 0;
        for (int c = 0; c < classes; c++) {
            if (count[c] == 0) {
                continue;
            }
            for (int d = 0; d < dim; d++) {
                mean[c][d] /= count[c];
                double diff = mean[c][d] - all[d];
                between += count[c] * diff * diff;
            }
        }
        double within = 0;
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < dim; d++) {
                double diff = f[i * dim + d] - mean[y[i]][d];
                within += diff * diff;
            }
        }
        return within == 0 ? Double.POSITIVE_INFINITY : between / within;
    }
}
