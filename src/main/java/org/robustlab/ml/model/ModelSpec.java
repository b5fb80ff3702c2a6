package org.robustlab.ml.model;

import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.ImageShape;

/**
 * Everything needed to rebuild a network: the architecture and the input it expects (shape,
 * classes, normalisation). Parameters are stored separately.
 */
public record ModelSpec(Architecture architecture, ImageShape inputShape, int numClasses, float[] mean, float[] std) {

    public ModelSpec {
        if (mean.length != inputShape.channels() || std.length != inputShape.channels()) {
            throw new IllegalArgumentException("mean and std need " + inputShape.channels() + " values");
        }
        if (architecture == Architecture.SMALL_CNN && (inputShape.height() != 28 || inputShape.width() != 28)) {
            throw new IllegalArgumentException("small-cnn takes 28x28 images; the dataset has "
                    + inputShape.height() + "x" + inputShape.width() + " (use resnet18, preact-resnet18 or a WideResNet)");
        }
        mean = mean.clone();
        std = std.clone();
    }

    /** The spec for {@code architecture} on {@code dataset}. */
    public static ModelSpec of(Architecture architecture, DatasetId dataset) {
        return new ModelSpec(architecture, dataset.shape(), dataset.numClasses(), dataset.mean(), dataset.std());
    }
}
