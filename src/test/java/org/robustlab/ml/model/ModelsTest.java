package org.robustlab.ml.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.data.DatasetId;

class ModelsTest {

    @Test
    void parameterCountsArePinned() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(count(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST, manager)).isEqualTo(312_202L);
            assertThat(count(Architecture.RESNET18, DatasetId.CIFAR10, manager)).isEqualTo(11_173_962L);
            assertThat(count(Architecture.RESNET18, DatasetId.CIFAR100, manager)).isEqualTo(11_220_132L);
            assertThat(count(Architecture.PREACT_RESNET18, DatasetId.CIFAR10, manager)).isEqualTo(11_172_170L);
        }
    }

    @Test
    void wideResnetHasTheWrn3410Size() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(count(Architecture.WRN_34_10, DatasetId.CIFAR10, manager)).isEqualTo(46_160_474L);
        }
    }

    @Test
    void forwardGivesLogitsPerClass() {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(ModelSpec.of(Architecture.RESNET18, DatasetId.FASHION_MNIST), manager);
                NDManager step = manager.newSubManager()) {
            NDArray x = step.randomUniform(0, 1, Models.inputShape(ModelSpec.of(Architecture.RESNET18, DatasetId.FASHION_MNIST), 2));
            NDArray logits = model.getBlock().forward(new ParameterStore(step, false), new NDList(x), false).singletonOrThrow();
            assertThat(logits.getShape().getShape()).containsExactly(2, 10);
        }
    }

    private static long count(Architecture a, DatasetId d, NDManager manager) {
        try (Model model = Models.create(ModelSpec.of(a, d), manager)) {
            return Models.parameterCount(model.getBlock());
        }
    }
}
