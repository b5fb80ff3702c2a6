package org.robustlab.ml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.robustlab.ml.data.DatasetId;

/**
 * WideResNet-28-10 checkpoints as RobustBench and the TRADES code save them (their module names, the unused sub_block1, a
 * DataParallel {@code module.} prefix), made with Debian's PyTorch, load into {@code wrn-28-10} and {@code dm-wrn-28-10}
 * and give PyTorch's logits; a checkpoint that does not match gets an error that lists every mismatch.
 */
class RobustBenchCheckpointTest {

    @TempDir
    Path dir;

    /**
     * RobustBench's two WideResNet-28-10 layouts: the TRADES code's (ReLU, no normalisation: mean 0 and std 1 given) and
     * DeepMind's (SiLU, TensorFlow's SAME padding, CIFAR-10's normalisation inside: the dataset's, as RobustLab's default).
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "wrn-28-10|true|dropped the prefix 'module.';left out 49 tensors of the unused sub_block1.*",
        "dm-wrn-28-10|false|dropped the prefix 'module.'"})
    void aRobustBenchWrn2810GivesPyTorchsLogits(String arch, boolean rawPixels, String expectedAdjustments) throws Exception {
        python(arch);
        ModelSpec spec = rawPixels ? new ModelSpec(Architecture.fromId(arch), DatasetId.CIFAR10.shape(), 10, new float[] {0, 0, 0},
                new float[] {1, 1, 1}) : ModelSpec.of(Architecture.fromId(arch), DatasetId.CIFAR10);
        try (NDManager manager = NDManager.newBaseManager(); Model model = Models.create(spec, manager)) {
            assertThat(Models.parameterCount(model.getBlock())).isEqualTo(36_479_194L);
            List<String> adjustments = Safetensors.load(model.getBlock(), dir.resolve("model.safetensors"));
            assertThat(adjustments).containsExactly(expectedAdjustments.split(";"));
            float[] x = floats(dir.resolve("x.f32"));
            float[] expected = floats(dir.resolve("logits.f32"));
            NDArray input = manager.create(x, Models.inputShape(spec, 4));
            input.setRequiresGradient(true);
            float[] logits;
            float[] gradient;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = Forward.logits(model.getBlock(), input, false);
                logits = out.toFloatArray();
                collector.backward(out.sum());
                gradient = input.getGradient().toFloatArray();
            }
            assertThat(logits).hasSize(40);
            double largest = 0;
            double worst = 0;
            for (int i = 0; i < logits.length; i++) {
                largest = Math.max(largest, Math.abs(expected[i]));
                worst = Math.max(worst, Math.abs(logits[i] - expected[i]));
            }
            assertThat(largest).as("the logits are not all near zero").isGreaterThan(0.05);
            assertThat(worst).as("largest difference from PyTorch's logits").isLessThan(1e-4);
            // what the attacks follow: the input gradient, through the padding and SiLU of DeepMind's layout too
            float[] expectedGradient = floats(dir.resolve("gradient.f32"));
            double largestGradient = 0;
            double worstGradient = 0;
            for (int i = 0; i < gradient.length; i++) {
                largestGradient = Math.max(largestGradient, Math.abs(expectedGradient[i]));
                worstGradient = Math.max(worstGradient, Math.abs(gradient[i] - expectedGradient[i]));
            }
            assertThat(largestGradient).as("the input gradient is not zero").isGreaterThan(1e-4);
            assertThat(worstGradient).as("largest difference from PyTorch's input gradient").isLessThan(1e-3 * largestGradient);
        }
    }

    @Test
    void aCheckpointThatDoesNotMatchIsRefusedWithEveryMismatchListed() throws Exception {
        python("wrn-28-10");
        ModelSpec spec = new ModelSpec(Architecture.WRN_28_10, DatasetId.CIFAR10.shape(), 10, new float[] {0, 0, 0},
                new float[] {1, 1, 1});
        try (NDManager manager = NDManager.newBaseManager(); Model model = Models.create(spec, manager)) {
            float[] before = model.getBlock().getParameters().get(0).getValue().getArray().toFloatArray();
            assertThatThrownBy(() -> Safetensors.load(model.getBlock(), dir.resolve("broken.safetensors")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("dropped the prefix 'module.'")
                    .hasMessageContaining("2 missing: block1.layer.0.conv1.weight [160, 16, 3, 3], fc.weight [10, 640]")
                    .hasMessageContaining("1 unexpected: classifier.weight")
                    .hasMessageContaining("1 with the wrong shape: block1.layer.1.conv1.weight is [160, 1440], needs [160, 160, 3, 3]");
            assertThat(model.getBlock().getParameters().get(0).getValue().getArray().toFloatArray()).containsExactly(before);
        }
    }

    @Test
    void aDeepMindCheckpointUploadedAsTheOtherLayoutIsToldWhichToUse() throws Exception {
        python("dm-wrn-28-10");
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(ModelSpec.of(Architecture.WRN_28_10, DatasetId.CIFAR10), manager)) {
            assertThatThrownBy(() -> Safetensors.load(model.getBlock(), dir.resolve("model.safetensors")))
                    .hasMessageContaining("missing: conv1.weight")
                    .hasMessageContaining("DeepMind's WideResNet").hasMessageContaining("dm-wrn-28-10");
        }
    }

    private void python(String arch) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "bench/robustbench_checkpoint.py", arch, dir.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("python3 robustbench_checkpoint.py said: %s", output).isZero();
    }

    private static float[] floats(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
