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
    /** WideResNet-34-10 (TRADES, MART, AWP). */
    WRN_34_10("wrn-34-10"),
    /** WideResNet-28-10, in the same layout (RobustBench's most common CIFAR-10 network). */
    WRN_28_10("wrn-28-10"),
    /** WideResNet-70-16, in the same layout. */
    WRN_70_16("wrn-70-16"),
    /** DeepMind's WideResNet-28-10 with SiLU, as RobustBench's DMWideResNet (Gowal et al. 2020, Rebuffi et al. 2021, ...). */
    DM_WRN_28_10("dm-wrn-28-10"),
    /** DeepMind's WideResNet-70-16 with SiLU: most of RobustBench's WRN-70-16 entries. */
    DM_WRN_70_16("dm-wrn-70-16");

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
