package org.robustlab.ml.model;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Convolution;
import ai.djl.nn.core.Linear;

/** Builds and initialises the networks of {@link Architecture}, normalisation layer first. */
public final class Models {

    private Models() {}

    /** The block for {@code spec}, not yet initialised. */
    public static Block block(ModelSpec spec) {
        Block body = switch (spec.architecture()) {
            case SMALL_CNN -> SmallCnn.build(spec.numClasses());
            case RESNET18 -> ResNets.resnet18(spec.numClasses());
            case PREACT_RESNET18 -> ResNets.preActResnet18(spec.numClasses());
            case WRN_34_10 -> ResNets.wideResnet(34, 10, spec.numClasses());
            case WRN_28_10 -> ResNets.wideResnet(28, 10, spec.numClasses());
            case WRN_70_16 -> ResNets.wideResnet(70, 16, spec.numClasses());
            case DM_WRN_28_10 -> ResNets.deepMindWideResnet(28, 10, spec.numClasses());
            case DM_WRN_70_16 -> ResNets.deepMindWideResnet(70, 16, spec.numClasses());
        };
        return new NamedSequential().add("normalize", new Normalize(spec.mean(), spec.std())).add("net", body);
    }

    /**
     * A new model in {@code manager}'s engine, initialised from the engine's random generator (seed it first
     * for reproducible weights): PyTorch's default, except SmallCNN, which gets the TRADES code's own
     * initialisation ({@link SmallCnn}). The caller closes it.
     */
    public static Model create(ModelSpec spec, NDManager manager) {
        Model model = Model.newInstance(spec.architecture().id(), manager.getDevice(), "PyTorch");
        Block block = block(spec);
        model.setBlock(block);
        block.initialize(model.getNDManager(), DataType.FLOAT32, inputShape(spec, 1));
        initializeLikePyTorch(block, model.getNDManager());
        if (spec.architecture() == Architecture.SMALL_CNN) {
            SmallCnn.initializeLikeTrades(NamedSequential.child(block, "net"), model.getNDManager());
        }
        return model;
    }

    /** Input shape (N, C, H, W) for a batch of {@code batch}. */
    public static Shape inputShape(ModelSpec spec, long batch) {
        return new Shape(batch, spec.inputShape().channels(), spec.inputShape().height(), spec.inputShape().width());
    }

    /** Number of trained parameters (BatchNorm running statistics excluded), as PyTorch counts them. */
    public static long parameterCount(Block block) {
        long total = 0;
        for (Parameter p : block.getParameters().values()) {
            if (isTrainable(p)) {
                total += p.getArray().getShape().size();
            }
        }
        return total;
    }

    /** The arrays of the parameters the optimiser updates ({@link #isTrainable}), in the block's order. */
    public static java.util.List<ai.djl.ndarray.NDArray> trainableArrays(ai.djl.nn.Block block) {
        java.util.List<ai.djl.ndarray.NDArray> out = new java.util.ArrayList<>();
        for (Parameter p : block.getParameters().values()) {
            if (isTrainable(p)) {
                out.add(p.getArray());
            }
        }
        return out;
    }

    /** Whether the optimiser updates it: everything but BatchNorm's running statistics. */
    public static boolean isTrainable(Parameter p) {
        return p.getType() != Parameter.Type.RUNNING_MEAN && p.getType() != Parameter.Type.RUNNING_VAR;
    }

    /**
     * PyTorch's default for convolutions and linear layers (kaiming_uniform with a = sqrt(5)): weight and
     * bias uniform in +-1/sqrt(fan_in). DJL's default differs, and published anchors assume PyTorch's.
     */
    static void initializeLikePyTorch(Block block, NDManager manager) {
        if (block instanceof Convolution || block instanceof Linear) {
            Parameter weight = block.getDirectParameters().get("weight");
            Shape shape = weight.getArray().getShape();
            long fanIn = shape.size() / shape.get(0);
            float bound = (float) (1.0 / Math.sqrt(fanIn));
            for (Parameter p : block.getDirectParameters().values()) {
                NDArray array = p.getArray();
                try (NDArray init = manager.randomUniform(-bound, bound, array.getShape())) {
                    array.set(init.toByteBuffer());
                }
            }
        }
        for (Block child : block.getChildren().values()) {
            initializeLikePyTorch(child, manager);
        }
    }
}
