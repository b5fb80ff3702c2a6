package org.robustlab.testing;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.NamedSequential;

/**
 * Untrained models for attack tests. SmallCNN starts, as in the TRADES code, with a zero last layer: its
 * outputs and input gradients are all zero until it trains, which leaves an attack nothing to follow.
 * These models get PyTorch's default for that layer instead (uniform in +-1/sqrt(200)).
 */
public final class UntrainedModels {

    private UntrainedModels() {}

    /** A SmallCNN for Fashion-MNIST whose last layer is not zero; the engine's generator draws it (seed it first). */
    public static Model smallCnn(NDManager manager) {
        Model model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager);
        Block fc3 = NamedSequential.child(NamedSequential.child(NamedSequential.child(model.getBlock(), "net"), "classifier"), "fc3");
        float bound = (float) (1 / Math.sqrt(200));
        for (Parameter p : fc3.getDirectParameters().values()) {
            NDArray a = p.getArray();
            try (NDArray init = model.getNDManager().randomUniform(-bound, bound, a.getShape())) {
                a.set(init.toByteBuffer());
            }
        }
        return model;
    }
}
