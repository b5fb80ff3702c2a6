package org.robustlab.ml.model;

import java.util.Arrays;

/** The architectures RobustLab builds, by the names used in plans and over HTTP. */
public enum Architecture {
    /** The TRADES small CNN for 28x28 grayscale images. */
    SMALL_CNN("small-cnn"),
    /** ResNet-18 in its CIFAR form. */
    RESNET18("resnet18"),
    /** Pre-activation ResNet-18. */
    PREACT_RESNET18("preact-resnet18"),
    /** WideResNet-34-10. */
    WRN_34_10("wrn-34-10");

    private final String id;

    Architecture(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static Architecture fromId(String value) {
        for (Architecture a : values()) {
            if (a.id.equalsIgnoreCase(value) || a.name().equalsIgnoreCase(value)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown model '" + value + "'; expected one of "
                + Arrays.stream(values()).map(Architecture::id).toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
