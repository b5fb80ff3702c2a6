package org.robustlab.ml.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.Dropout;

/**
 * The small CNN of the TRADES code for MNIST (Zhang et al., 2019): two 3x3 convolutions of 32
 * channels, max-pool, two of 64, max-pool, then fully connected 200, 200 and the classes, with ReLU
 * and dropout 0.5 after the first fully connected layer. 312,202 parameters for 28x28x1 and 10
 * classes, so that published MNIST and Fashion-MNIST anchors apply.
 *
 * <p>Initialised as the TRADES code does ({@code models/small_cnn.py}): convolution weights Kaiming-normal
 * (std sqrt(2 / fan_in)) with zero biases, the last layer's weights and biases zero, the other two fully
 * connected layers PyTorch's default. With PyTorch's default everywhere, the network sits on its initial
 * loss plateau for the first few dozen steps.
 */
final class SmallCnn {

    private SmallCnn() {}

    static Block build(int numClasses) {
        NamedSequential features = new NamedSequential()
                .add("conv1", Layers.conv(32, 3, 1, 0, true)).add("relu1", Layers.relu())
                .add("conv2", Layers.conv(32, 3, 1, 0, true)).add("relu2", Layers.relu())
                .add("maxpool1", Layers.maxPool2())
                .add("conv3", Layers.conv(64, 3, 1, 0, true)).add("relu3", Layers.relu())
                .add("conv4", Layers.conv(64, 3, 1, 0, true)).add("relu4", Layers.relu())
                .add("maxpool2", Layers.maxPool2());
        NamedSequential classifier = new NamedSequential()
                .add("fc1", Layers.linear(200)).add("relu1", Layers.relu())
                .add("drop", Dropout.builder().optRate(0.5f).build())
                .add("fc2", Layers.linear(200)).add("relu2", Layers.relu())
                .add("fc3", Layers.linear(numClasses));
        return new NamedSequential()
                .add("feature_extractor", features)
                .add("flatten", Layers.flatten())
                .add("classifier", classifier);
    }

    /** The TRADES initialisation, on a block built by {@link #build} and initialised (shapes known). */
    static void initializeLikeTrades(Block net, NDManager manager) {
        Block features = NamedSequential.child(net, "feature_extractor");
        for (String conv : new String[] {"conv1", "conv2", "conv3", "conv4"}) {
            Block c = NamedSequential.child(features, conv);
            NDArray w = c.getDirectParameters().get("weight").getArray();
            long fanIn = w.getShape().size() / w.getShape().get(0);
            try (NDArray init = manager.randomNormal(0f, (float) Math.sqrt(2.0 / fanIn), w.getShape(), w.getDataType())) {
                w.set(init.toByteBuffer());
            }
            zero(c.getDirectParameters().get("bias"));
        }
        Block fc3 = NamedSequential.child(NamedSequential.child(net, "classifier"), "fc3");
        zero(fc3.getDirectParameters().get("weight"));
        zero(fc3.getDirectParameters().get("bias"));
    }

    private static void zero(Parameter p) {
        NDArray a = p.getArray();
        a.set(new float[Math.toIntExact(a.getShape().size())]);
    }
}
