package org.robustlab.ml.evaluation;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import java.util.Arrays;
import java.util.List;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.data.ImageShape;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;

/**
 * The checks a model from elsewhere passes before it is stored, on one batch of its dataset's test images in [0,1]: it
 * runs on them; its output is one row of {@code numClasses} finite logits per image (not probabilities: the attacks'
 * losses need logits); and its input gradient exists and is not zero everywhere (a model whose gradient is masked would
 * make every gradient attack look like it failed). A model that fails gets an {@link IllegalArgumentException} that says
 * what is wrong in words a user can act on.
 */
public final class ModelCheck {

    /** What the checks measured. */
    public record Result(long parameters, int points, double accuracy, double meanAbsGradient, double costPerImage,
            long forwardMicros) {}

    private ModelCheck() {}

    /**
     * Checks {@code model} ([0,1] pixels in, logits out) on the first {@code points} images of {@code test}, and measures
     * its forward pass against SmallCNN's on the same batch ({@link Result#costPerImage()}: at least 1).
     */
    public static Result run(Block model, ImageDataset test, int numClasses, int points, NDManager parent) {
        int n = Math.min(points, test.size());
        try (NDManager manager = parent.newSubManager()) {
            BatchLoader.Batch batch = new BatchLoader(test.first(n), n, false, false, 0).batch(manager, 0, 0);
            NDArray x = batch.x();
            String shape = "(" + n + ", " + test.shape().channels() + ", " + test.shape().height() + ", " + test.shape().width() + ")";
            NDArray logits;
            try {
                logits = Forward.logits(model, x, false);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("it fails on a batch of " + shape + " images with pixels in [0,1]: "
                        + firstLine(e.getMessage()));
            }
            Shape out = logits.getShape();
            if (out.dimension() != 2 || out.get(0) != n || out.get(1) != numClasses) {
                throw new IllegalArgumentException("its output on a batch of " + shape + " images has shape " + out
                        + "; expected (" + n + ", " + numClasses + "): one row of " + numClasses + " logits per image");
            }
            float[] values = logits.toFloatArray();
            for (float v : values) {
                if (!Float.isFinite(v)) {
                    throw new IllegalArgumentException("its outputs on the first " + n + " test images are not all finite (NaN or"
                            + " infinite values)");
                }
            }
            if (probabilities(values, numClasses)) {
                throw new IllegalArgumentException("its outputs are probabilities (every row is in [0,1] and sums to 1): upload the"
                        + " model without its final softmax; cross-entropy, DLR and FAB need logits");
            }
            double accuracy = accuracy(Forward.classes(logits), batch.labels());
            double gradient = meanAbsInputGradient(model, x, batch.y());
            if (!(gradient > 0)) {
                throw new IllegalArgumentException("its input gradient is zero everywhere on the first " + n + " test images"
                        + " (rounding, argmax or a non-differentiable step inside?): every gradient attack would see nothing and"
                        + " its robust accuracy would be overstated; upload a differentiable model");
            }
            long ours = forwardMicros(model, x);
            long small = smallCnnMicros(test, x, manager);
            return new Result(Models.parameterCount(model), n, accuracy, gradient, Math.max(1, (double) ours / Math.max(1, small)),
                    ours);
        }
    }

    /** Whether every row is in [0,1] and sums to 1 (within 1e-3). */
    static boolean probabilities(float[] values, int classes) {
        for (int row = 0; row < values.length / classes; row++) {
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                float v = values[row * classes + c];
                if (v < 0 || v > 1) {
                    return false;
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > 1e-3) {
                return false;
            }
        }
        return true;
    }

    private static double accuracy(int[] predicted, int[] labels) {
        int right = 0;
        for (int i = 0; i < labels.length; i++) {
            right += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) right / labels.length;
    }

    private static double meanAbsInputGradient(Block model, NDArray x, NDArray y) {
        NDArray input = x.duplicate();
        input.setRequiresGradient(true);
        Forward.trackParameterGradients(model, false);
        try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
            NDArray loss = Losses.crossEntropy(Forward.logits(model, input, false), y);
            collector.backward(loss);
            NDArray gradient = input.getGradient();
            return gradient.abs().mean().getFloat();
        } catch (RuntimeException e) {
            // e.g. "element 0 of tensors does not require grad": the module cut the graph
            return 0;
        } finally {
            Forward.trackParameterGradients(model, true);
        }
    }

    /** The median of five timed forward passes, after one warm-up, in microseconds. */
    private static long forwardMicros(Block model, NDArray x) {
        long[] times = new long[5];
        for (int i = -1; i < times.length; i++) {
            try (NDManager step = x.getManager().newSubManager()) {
                long start = System.nanoTime();
                NDArray out = Forward.logits(model, x, false);
                out.toFloatArray();
                out.tempAttach(step);
                if (i >= 0) {
                    times[i] = (System.nanoTime() - start) / 1000;
                }
            }
        }
        Arrays.sort(times);
        return times[times.length / 2];
    }

    /** SmallCNN's forward time on the same batch (CIFAR's shape included: it is measured, not compared in weights). */
    private static long smallCnnMicros(ImageDataset test, NDArray x, NDManager manager) {
        if (test.shape().height() != 28 || test.shape().width() != 28) {
            NDArray crop = x.get(":, :, 0:28, 0:28");
            return smallCnnMicros(crop, test.shape().channels(), manager);
        }
        return smallCnnMicros(x, test.shape().channels(), manager);
    }

    private static long smallCnnMicros(NDArray x, int channels, NDManager manager) {
        float[] half = new float[channels];
        Arrays.fill(half, 0.5f);
        ModelSpec spec = new ModelSpec(Architecture.SMALL_CNN, new ImageShape(channels, 28, 28), 10, half, half);
        try (Model small = Models.create(spec, manager)) {
            return forwardMicros(small.getBlock(), x);
        }
    }

    /**
     * The line of libtorch's message that says what failed: TorchScript's interpreter opens with "The following operation
     * failed" and ends with the Python-style error line.
     */
    static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        List<String> lines = message.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        String line = lines.isEmpty() ? message : lines.get(0);
        for (String l : lines) {
            if (l.matches("^[A-Za-z]*Error: .*")) {
                line = l;
            }
        }
        return line.length() > 500 ? line.substring(0, 500) + "..." : line;
    }

}
