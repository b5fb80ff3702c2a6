package org.robustlab.ml.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import java.util.Random;
import org.robustlab.ml.engine.ConvolutionCheck;

/**
 * Sweeps 3x3 convolutions on the CPU, batched and one image at a time, against the same convolutions in float64 (libtorch's
 * own kernel, not oneDNN's), over input channels,
 * batch sizes and strides, and prints the largest difference of each: the measurement behind {@link ConvolutionCheck}
 * (results/onednn-convolution-check.md). Run it with and without {@code ONEDNN_MAX_CPU_ISA=AVX2}:
 * {@code scripts/run-main org.robustlab.ml.bench.ConvolutionSweep}.
 */
public final class ConvolutionSweep {

    private ConvolutionSweep() {
    }

    public static void main(String[] args) {
        Engine engine = Engine.getEngine("PyTorch");
        System.out.println("engine " + engine.getEngineName() + " " + engine.getVersion() + ", "
                + ConvolutionCheck.ISA_VARIABLE + "=" + System.getenv(ConvolutionCheck.ISA_VARIABLE));
        System.out.println("| input channels | batch | stride | batched vs float64 | one image at a time vs float64 |");
        System.out.println("|---:|---:|---:|---:|---:|");
        Random random = new Random(7);
        int wrong = 0;
        int rows = 0;
        try (NDManager manager = engine.newBaseManager(Device.cpu())) {
            for (int channels : new int[] {1, 3, 8, 16, 20, 24, 32, 40, 48, 64}) {
                for (int batch : new int[] {1, 2, 8}) {
                    for (int stride : new int[] {1, 2}) {
                        try (NDManager step = manager.newSubManager()) {
                            NDArray x = uniform(step, random, new Shape(batch, channels, 16, 16));
                            NDArray w = uniform(step, random, new Shape(32, channels, 3, 3));
                            NDArray b = uniform(step, random, new Shape(32));
                            Shape strides = new Shape(stride, stride);
                            NDArray batched = Conv2d.conv2d(x, w, b, strides, new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
                            NDList single = new NDList();
                            for (int i = 0; i < batch; i++) {
                                single.add(Conv2d.conv2d(x.get(i + ":" + (i + 1)), w, b, strides, new Shape(1, 1), new Shape(1, 1), 1)
                                        .singletonOrThrow());
                            }
                            // float64 takes libtorch's own convolution, not oneDNN's: the reference for both
                            NDArray reference = Conv2d.conv2d(x.toType(DataType.FLOAT64, false), w.toType(DataType.FLOAT64, false),
                                    b.toType(DataType.FLOAT64, false), strides, new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow()
                                    .toType(DataType.FLOAT32, false);
                            float d = batched.sub(reference).abs().max().getFloat();
                            float one = NDArrays.concat(single).sub(reference).abs().max().getFloat();
                            rows++;
                            if (!(d <= 1e-3f) || !(one <= 1e-3f)) {
                                wrong++;
                            }
                            System.out.printf("| %d | %d | %d | %s | %s |%n", channels, batch, stride, format(d), format(one));
                        }
                    }
                }
            }
        }
        System.out.println(wrong + " of " + rows + " convolutions differ by more than 1e-3; ConvolutionCheck: " + ConvolutionCheck.run());
    }

    private static String format(float d) {
        return Float.isNaN(d) ? "NaN" : String.format("%.3g", d);
    }

    private static NDArray uniform(NDManager manager, Random random, Shape shape) {
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat() * 2 - 1;
        }
        return manager.create(values, shape);
    }
}
