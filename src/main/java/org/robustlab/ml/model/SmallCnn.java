package org.robustlab.ml.model;

import ai.djl.nn.Block;
import ai.djl.nn.norm.Dropout;

/**
 * The small CNN of the TRADES code for MNIST (Zhang et al., 2019): two 3x3 convolutions of 32
 * channels, max-pool, two of 64, max-pool, then fully connected 200, 200 and the classes, with ReLU
 * and dropout 0.5 after the first fully connected layer. 312,202 parameters for 28x28x1 and 10
 * classes, so that published MNIST and Fashion-MNIST anchors apply.
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
}
