package org.robustlab.ml.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.Arrays;
import java.util.Random;

/**
 * Whether this process's libtorch computes batched convolutions right, checked against the same convolutions in float64
 * (which libtorch computes with its own kernel, not oneDNN's).
 *
 * <p>Why: on an AMD EPYC of the Zen 5 family (CPU family 26), the oneDNN 3.7.1 inside DJL's libtorch 2.7.1 computes
 * batched (two or more images) 3x3 convolutions wrongly when their input channels must be padded to its channel block
 * (16 with AVX-512: 20, 24, 40; 8 with AVX2: 20): differences of order 1 to 6, NaN in some runs
 * (results/onednn-convolution-check.md, {@code ConvolutionSweep}). A single image takes another path and is right, and
 * so are Debian's PyTorch 1.13 and oneDNN capped at SSE4.1 ({@code ONEDNN_MAX_CPU_ISA=SSE41}), two to three times
 * slower. RobustLab's own architectures take 1 or 3 channels in and multiples of 16 after, which are right uncapped
 * ({@link #BUILT_IN_CHANNELS}); a lab's own model may not ({@link #ANY_CHANNELS}). The service runs both checks when it
 * starts and caps the workers that need it; a worker runs the check for its model again and refuses to compute when it
 * fails.
 *
 * @param passed whether every batched result matched the float64 results
 * @param largestDifference the largest absolute difference seen; null when a result was NaN
 * @param detail the convolution that differed most, in words
 */
public record ConvolutionCheck(boolean passed, Double largestDifference, String detail) {

    /** oneDNN's environment variable that caps the instruction set its kernels use; read once, when oneDNN starts. */
    public static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";
    /** The cap under which every convolution checked is right on every CPU checked. */
    public static final String SAFE_ISA = "SSE41";
    /** Input channels of the built-in architectures' convolutions: images of 1 or 3 channels, then multiples of 16. */
    public static final int[] BUILT_IN_CHANNELS = {1, 3, 16, 32, 64};
    /** Input channels that oneDNN pads to its channel block, as a lab's own model may have. */
    public static final int[] ANY_CHANNELS = {20, 24, 40};

    private static final int[] STRIDES = {1, 2};
    private static final double TOLERANCE = 1e-3;

    /**
     * Runs the check in this process for 3x3 convolutions with {@code inputChannels}, on the CPU (a GPU is never touched):
     * forward passes only, no gradient.
     */
    public static ConvolutionCheck run(int... inputChannels) {
        Engine engine = Engine.getEngine("PyTorch");
        double worst = 0;
        String detail = "batched 3x3 convolutions with " + Arrays.toString(inputChannels) + " input channels, strides 1 and 2,"
                + " match float64";
        try (NDManager manager = engine.newBaseManager(Device.cpu())) {
            Random random = new Random(7);
            for (int channels : inputChannels) {
                for (int stride : STRIDES) {
                    NDArray x = uniform(manager, random, new Shape(4, channels, 16, 16));
                    NDArray w = uniform(manager, random, new Shape(32, channels, 3, 3));
                    NDArray b = uniform(manager, random, new Shape(32));
                    Shape strides = new Shape(stride, stride);
                    Shape padding = new Shape(1, 1);
                    Shape dilation = new Shape(1, 1);
                    NDArray batched = Conv2d.conv2d(x, w, b, strides, padding, dilation, 1).singletonOrThrow();
                    NDArray reference = Conv2d.conv2d(x.toType(DataType.FLOAT64, false), w.toType(DataType.FLOAT64, false),
                            b.toType(DataType.FLOAT64, false), strides, padding, dilation, 1).singletonOrThrow()
                            .toType(DataType.FLOAT32, false);
                    float difference = batched.sub(reference).abs().max().getFloat();
                    double d = Float.isNaN(difference) ? Double.POSITIVE_INFINITY : difference;
                    if (d > worst) {
                        worst = d;
                        detail = "a batch of 4, " + channels + " input channels, 3x3, stride " + stride + ": differs from float64"
                                + " by up to " + (Double.isInfinite(d) ? "NaN" : String.format("%.3g", d));
                    }
                }
            }
        }
        return new ConvolutionCheck(worst <= TOLERANCE, Double.isInfinite(worst) ? null : worst, detail);
    }

    /** Uniform values in [-1, 1) from {@code random}, so that the check does not touch the engine's own generator. */
    private static NDArray uniform(NDManager manager, Random random, Shape shape) {
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return manager.create(values, shape);
    }

    /** What a failed check means and what to do, for a log line or a job's reason. */
    public String advice() {
        return "libtorch's oneDNN computes batched convolutions wrongly on this CPU (" + detail + "); start the process with "
                + ISA_VARIABLE + "=" + SAFE_ISA + " (robustlab.engine.onednn-max-cpu-isa)";
    }
}
