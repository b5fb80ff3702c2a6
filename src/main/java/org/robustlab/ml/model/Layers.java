package org.robustlab.ml.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;

/** Layer factories with PyTorch's conventions (BatchNorm eps 1e-5 and momentum 0.1 in PyTorch's sense). */
final class Layers {

    private Layers() {}

    static Block conv(int filters, int kernel, int stride, int padding, boolean bias) {
        return Conv2d.builder()
                .setKernelShape(new Shape(kernel, kernel))
                .setFilters(filters)
                .optStride(new Shape(stride, stride))
                .optPadding(new Shape(padding, padding))
                .optBias(bias)
                .build();
    }

    /** DJL's momentum 0.9 is PyTorch's 0.1: running = 0.9 * running + 0.1 * batch. */
    static Block batchNorm() {
        return BatchNorm.builder().optMomentum(0.9f).optEpsilon(1e-5f).build();
    }

    static Block linear(int units) {
        return Linear.builder().setUnits(units).build();
    }

    static Block relu() {
        return Activation.reluBlock();
    }

    /** SiLU (Swish with beta 1): x * sigmoid(x), the activation of DeepMind's WideResNets. */
    static Block silu() {
        return new LambdaBlock(list -> new NDList(Activation.swish(list.singletonOrThrow(), 1f)), "silu");
    }

    static Block maxPool2() {
        return Pool.maxPool2dBlock(new Shape(2, 2), new Shape(2, 2));
    }

    static Block flatten() {
        return Blocks.batchFlattenBlock();
    }

    /** Global average pooling to (N, C): the 4x4 average pool of the CIFAR ResNets, for any input size. */
    static Block globalAvgPool() {
        return new LambdaBlock(list -> new NDList(Pool.globalAvgPool2d(list.singletonOrThrow()).reshape(
                list.singletonOrThrow().getShape().get(0), -1)), "globalAvgPool");
    }
}
