package org.robustlab.ml.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import org.assertj.core.data.Offset;
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

    /** RobustBench's WideResNets: 36,479,194 and 266,796,506 parameters in PyTorch (bench/torch_models.py), in both layouts. */
    @Test
    void robustBenchWideResnetsHaveTheirSizes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            assertThat(count(Architecture.WRN_28_10, DatasetId.CIFAR10, manager)).isEqualTo(36_479_194L);
            assertThat(count(Architecture.DM_WRN_28_10, DatasetId.CIFAR10, manager)).isEqualTo(36_479_194L);
            assertThat(count(Architecture.WRN_70_16, DatasetId.CIFAR10, manager)).isEqualTo(266_796_506L);
            ModelSpec spec = ModelSpec.of(Architecture.DM_WRN_70_16, DatasetId.CIFAR100);
            try (Model model = Models.create(spec, manager); NDManager step = manager.newSubManager()) {
                assertThat(Models.parameterCount(model.getBlock())).isEqualTo(266_796_506L + 90 * (1024 + 1));
                NDArray x = step.randomUniform(0, 1, Models.inputShape(spec, 1));
                NDArray logits = model.getBlock().forward(new ParameterStore(step, false), new NDList(x), false).singletonOrThrow();
                assertThat(logits.getShape().getShape()).containsExactly(1, 100);
            }
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

    /**
     * SmallCNN as the TRADES code initialises it: Kaiming-normal convolutions, std sqrt(2 / fan_in) (conv2:
     * fan_in 32 * 3 * 3 = 288, std 0.0833), zero convolution biases, a zero last layer; fc1 keeps PyTorch's
     * default, uniform in +-1/sqrt(1024).
     */
    @Test
    void smallCnnIsInitialisedAsTheTradesCodeDoes() {
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager)) {
            Block net = NamedSequential.child(model.getBlock(), "net");
            Block features = NamedSequential.child(net, "feature_extractor");
            Block classifier = NamedSequential.child(net, "classifier");
            float[] conv2 = NamedSequential.child(features, "conv2").getDirectParameters().get("weight").getArray().toFloatArray();
            double mean = 0;
            double sq = 0;
            for (float v : conv2) {
                mean += v;
                sq += v * v;
            }
            mean /= conv2.length;
            double std = Math.sqrt(sq / conv2.length - mean * mean);
            assertThat(conv2.length).isEqualTo(32 * 32 * 9);
            assertThat(std).isCloseTo(Math.sqrt(2.0 / 288), Offset.offset(0.004));
            assertThat(NamedSequential.child(features, "conv1").getDirectParameters().get("bias").getArray().toFloatArray()).containsOnly(0f);
            Block fc3 = NamedSequential.child(classifier, "fc3");
            assertThat(fc3.getDirectParameters().get("weight").getArray().toFloatArray()).containsOnly(0f);
            assertThat(fc3.getDirectParameters().get("bias").getArray().toFloatArray()).containsOnly(0f);
            float[] fc1 = NamedSequential.child(classifier, "fc1").getDirectParameters().get("weight").getArray().toFloatArray();
            float bound = (float) (1 / Math.sqrt(1024));
            double largest = 0;
            for (float v : fc1) {
                largest = Math.max(largest, Math.abs(v));
            }
            assertThat(largest).isLessThanOrEqualTo(bound).isGreaterThan(bound / 2);
        }
    }

    private static long count(Architecture a, DatasetId d, NDManager manager) {
        try (Model model = Models.create(ModelSpec.of(a, d), manager)) {
            return Models.parameterCount(model.getBlock());
        }
    }
}
