package org.robustlab.ml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.training.Sgd;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingStep;

/** The safetensors export loads into the PyTorch definition of the same architecture and computes the same logits. */
class SafetensorsPyTorchTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"small-cnn,fashion-mnist", "resnet18,cifar10", "preact-resnet18,fashion-mnist"})
    void pytorchLoadsTheFileAndComputesTheSameLogits(String arch, String dataset) throws Exception {
        ModelSpec spec = ModelSpec.of(Architecture.fromId(arch), DatasetId.fromId(dataset));
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(spec, manager)) {
            trainAFewSteps(model, spec, manager);
            Path file = dir.resolve(arch + ".safetensors");
            Safetensors.write(model.getBlock(), file, Map.of("architecture", arch), 3);
            NDArray x = manager.randomUniform(0f, 1f, Models.inputShape(spec, 4));
            float[] logits = Forward.logits(model.getBlock(), x, false).toFloatArray();
            Path input = dir.resolve("x.f32");
            Path out = dir.resolve("logits.f32");
            Files.write(input, littleEndian(x.toFloatArray()));
            Files.write(out, littleEndian(logits));
            JsonObject result = python(file, arch, spec, input, out);
            assertThat(result.get("key_mismatch").getAsJsonArray()).isEmpty();
            assertThat(result.get("max_abs_logit").getAsDouble()).isGreaterThan(1e-3);
            assertThat(result.get("max_abs_diff").getAsDouble()).isLessThan(1e-4 * Math.max(1, result.get("max_abs_logit").getAsDouble()));
            assertThat(result.getAsJsonObject("metadata").get("architecture").getAsString()).isEqualTo(arch);
        }
    }

    @Test
    void loadingRejectsAFileOfAnotherArchitectureAndLeavesTheModelAlone() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                Model small = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager);
                Model resnet = Models.create(ModelSpec.of(Architecture.RESNET18, DatasetId.FASHION_MNIST), manager);
                Model small100 = Models.create(new ModelSpec(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST.shape(), 7,
                        new float[] {0.5f}, new float[] {0.5f}), manager)) {
            Path file = dir.resolve("small.safetensors");
            Safetensors.write(small.getBlock(), file, Map.of(), 0);
            float[] before = resnet.getBlock().getParameters().get(0).getValue().getArray().toFloatArray();
            assertThatThrownBy(() -> Safetensors.load(resnet.getBlock(), file))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing: ");
            assertThat(resnet.getBlock().getParameters().get(0).getValue().getArray().toFloatArray()).containsExactly(before);
            assertThatThrownBy(() -> Safetensors.load(small100.getBlock(), file))
                    .hasMessageContaining("classifier.fc3.weight").hasMessageContaining("[10, 200]").hasMessageContaining("[7, 200]");
            Path garbage = dir.resolve("garbage.safetensors");
            Files.writeString(garbage, "this is not a safetensors file at all", StandardCharsets.UTF_8);
            assertThatThrownBy(() -> Safetensors.load(small.getBlock(), garbage))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a safetensors file");
            byte[] bytes = Files.readAllBytes(file);
            Path truncated = dir.resolve("truncated.safetensors");
            Files.write(truncated, Arrays.copyOf(bytes, bytes.length - 1000));
            assertThatThrownBy(() -> Safetensors.load(small.getBlock(), truncated))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offsets");
        }
    }

    private static void trainAFewSteps(Model model, ModelSpec spec, NDManager manager) {
        Engine.getInstance().setRandomSeed(5);
        List<NDArray> params = Models.trainableArrays(model.getBlock());
        Sgd sgd = new Sgd(params, 0.9f, false, 5e-4f, model.getNDManager());
        TrainingStep step = new TrainingStep(TrainingMethod.standard());
        for (int i = 0; i < 3; i++) {
            try (NDManager s = manager.newSubManager()) {
                NDArray x = s.randomUniform(0f, 1f, Models.inputShape(spec, 8));
                NDArray y = s.randomInteger(0, spec.numClasses(), new Shape(8), DataType.INT32);
                step.run(model.getBlock(), x, y, 0f, s);
                sgd.step(0.05f);
            }
        }
    }

    private static JsonObject python(Path file, String arch, ModelSpec spec, Path input, Path logits) throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "bench/check_export.py", file.toString(), arch,
                Integer.toString(spec.numClasses()), input.toString(), "4", Integer.toString(spec.inputShape().channels()),
                Integer.toString(spec.inputShape().height()), Integer.toString(spec.inputShape().width()), logits.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("python3 check_export.py said: %s", output).isZero();
        String last = output.strip().lines().reduce((a, b) -> b).orElse("");
        return new Gson().fromJson(last, JsonObject.class);
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }
}
