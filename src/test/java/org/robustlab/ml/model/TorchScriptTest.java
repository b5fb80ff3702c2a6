package org.robustlab.ml.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.engine.ConvolutionCheck;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.data.ImageShape;
import org.robustlab.ml.evaluation.ModelCheck;
import org.robustlab.ml.evaluation.RobustnessEvaluator;
import org.robustlab.ml.evaluation.RobustnessReport;

/**
 * A network RobustLab does not know ({@code bench/torchscript_model.py}: its own layer names, BatchNorm, GELU, dropout and
 * its normalisation inside), saved as TorchScript by Debian's PyTorch 1.13, run by DJL's libtorch 2.7.1: the same logits,
 * the same input gradients, eval mode while gradients flow, and the same clean and PGD-20 accuracy as PyTorch's own.
 */
class TorchScriptTest {

    @TempDir
    static Path dir;

    static Path scripted;
    static Path traced;

    @BeforeAll
    static void makeArchives() throws Exception {
        ConvolutionCheck convolutions = ConvolutionCheck.run(ConvolutionCheck.ANY_CHANNELS);
        assertThat(convolutions.passed()).as("this model has 24-channel convolutions; run this test as the pom's own-models"
                + " execution does: %s", convolutions.advice()).isTrue();
        scripted = dir.resolve("scripted.pt");
        traced = dir.resolve("traced.pt");
        python("make", scripted.toString(), "--train-steps", "40", "--script");
        python("make", traced.toString(), "--train-steps", "40");
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripted", "traced"})
    void logitsAndInputGradientsAreTheOnesPyTorchComputes(String kind) throws Exception {
        Path archive = kind.equals("scripted") ? scripted : traced;
        try (TorchScript.Loaded loaded = TorchScript.load(archive, Device.cpu(), null, null, 1);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(3);
            NDArray x = manager.randomUniform(0f, 1f, new Shape(4, 1, 28, 28));
            Path input = dir.resolve(kind + "-x.f32");
            Files.write(input, littleEndian(x.toFloatArray()));
            x.setRequiresGradient(true);
            float[] logits;
            float[] gradient;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = Forward.logits(loaded.block(), x, false);
                assertThat(out.getShape()).isEqualTo(new Shape(4, 10));
                logits = out.toFloatArray();
                collector.backward(out.sum());
                gradient = x.getGradient().toFloatArray();
            }
            JsonObject theirs = python("check", archive.toString(), input.toString(), "4", "1", "28", "28");
            float[] theirLogits = floats(theirs.getAsJsonArray("logits"));
            float[] theirGradient = floats(theirs.getAsJsonArray("gradient"));
            assertThat(logits).hasSize(theirLogits.length);
            for (int i = 0; i < logits.length; i++) {
                assertThat(logits[i]).as("logit %d", i).isCloseTo(theirLogits[i], within(1e-4f * Math.max(1f, Math.abs(theirLogits[i]))));
            }
            double largest = 0;
            for (int i = 0; i < gradient.length; i++) {
                largest = Math.max(largest, Math.abs(theirGradient[i]));
                assertThat(gradient[i]).as("input gradient %d", i).isCloseTo(theirGradient[i], within(1e-5f));
            }
            assertThat(largest).as("the input gradient is not zero").isGreaterThan(1e-3);
            // eval mode: BatchNorm's running statistics and no dropout, so one point's logits do not depend on its batch
            // and two passes agree
            NDArray again = Forward.logits(loaded.block(), x.get("0:1"), false);
            float[] first = again.toFloatArray();
            for (int i = 0; i < 10; i++) {
                assertThat(first[i]).isCloseTo(logits[i], within(1e-4f));
            }
        }
    }

    @Test
    void cleanAndPgd20AccuracyAreThoseOfPyTorch() throws Exception {
        ImageDataset test = new DatasetLocator(dir.resolve("datasets"), false)
                .load(DatasetId.FASHION_MNIST, false).first(200);
        RobustnessReport report;
        try (TorchScript.Loaded loaded = TorchScript.load(scripted, Device.cpu(), null, null, 1);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            AttackSpec pgd20 = AttackSpec.pgd20(0.1f).withRandomStart(false);
            report = new RobustnessEvaluator(100, 0).evaluate(loaded.block(), manager, test, List.of(pgd20), "scripted");
        }
        JsonObject theirs = python("eval", scripted.toString(), "--points", "200", "--eps", "0.1", "--random-start", "0");
        // the same points right (PyTorch's mean is a float32)
        assertThat(report.cleanAccuracy()).isCloseTo(theirs.get("clean").getAsDouble(), within(1e-6));
        System.out.printf("TorchScript model, 200 Fashion-MNIST test points: clean %.3f ours, %.3f PyTorch's; PGD-20 (no random"
                + " start) %.3f ours, %.3f PyTorch's%n", report.cleanAccuracy(), theirs.get("clean").getAsDouble(),
                report.results().get(0).robustAccuracy(), theirs.get("pgd20").getAsDouble());
        assertThat(report.results().get(0).robustAccuracy()).as("PGD-20 without random start, ours and PyTorch's")
                .isCloseTo(theirs.get("pgd20").getAsDouble(), within(0.015));
        assertThat(report.results().get(0).robustAccuracy()).isLessThan(report.cleanAccuracy() - 0.05);
    }

    @Test
    void normalisationInFrontWhenTheModuleTakesNormalisedInput() throws Exception {
        try (TorchScript.Loaded plain = TorchScript.load(traced, Device.cpu(), null, null, 1);
                TorchScript.Loaded normalised = TorchScript.load(traced, Device.cpu(), new float[] {0.5f}, new float[] {0.25f}, 1);
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray x = manager.randomUniform(0f, 1f, new Shape(2, 1, 28, 28));
            float[] expected = Forward.logits(plain.block(), x.sub(0.5f).div(0.25f), false).toFloatArray();
            float[] actual = Forward.logits(normalised.block(), x, false).toFloatArray();
            for (int i = 0; i < expected.length; i++) {
                assertThat(actual[i]).isCloseTo(expected[i], within(1e-4f));
            }
            assertThat(Models.parameterCount(plain.block())).isEqualTo(238_042);
        }
    }

    @Test
    void aFileThatIsNotAnArchiveIsAMalformedModel() throws Exception {
        Path garbage = dir.resolve("garbage.pt");
        Files.writeString(garbage, "not a TorchScript archive", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> TorchScript.load(garbage, Device.cpu(), null, null, 1)).isInstanceOf(MalformedModelException.class)
                .hasMessageContaining("not a zip");
        Path stateDict = dir.resolve("state-dict.pt");
        python("bad", "state-dict", stateDict.toString());
        assertThatThrownBy(() -> TorchScript.load(stateDict, Device.cpu(), null, null, 1)).isInstanceOf(MalformedModelException.class)
                .hasMessageContaining("torch.save file").hasMessageContaining("torch.jit.save");
        assertThat(TorchScript.archive(traced).formatVersion()).matches("[0-9]+");
    }

    @Test
    void theChecksPassALabsModelAndSayWhatIsWrongWithBadOnes() throws Exception {
        ImageDataset test = new DatasetLocator(dir.resolve("datasets"), false).load(DatasetId.FASHION_MNIST, false);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            try (TorchScript.Loaded good = TorchScript.load(traced, Device.cpu(), null, null, 1)) {
                ModelCheck.Result r = ModelCheck.run(good.block(), test, 10, 64, manager);
                assertThat(r.parameters()).isEqualTo(238_042);
                assertThat(r.accuracy()).isGreaterThan(0.5);
                assertThat(r.meanAbsGradient()).isGreaterThan(0);
                assertThat(r.costPerImage()).isGreaterThanOrEqualTo(1);
            }
            Map<String, String> expected = Map.of(
                    "probabilities", "are probabilities",
                    "no-gradient", "input gradient is zero everywhere",
                    "wrong-shape", "has shape (64, 5); expected (64, 10)",
                    "nan", "not all finite");
            for (var e : expected.entrySet()) {
                Path bad = dir.resolve(e.getKey() + ".pt");
                python("bad", e.getKey(), bad.toString());
                try (TorchScript.Loaded loaded = TorchScript.load(bad, Device.cpu(), null, null, 1)) {
                    assertThatThrownBy(() -> ModelCheck.run(loaded.block(), test, 10, 64, manager)).as(e.getKey())
                            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(e.getValue());
                }
            }
            // a CIFAR-shaped batch into a 28x28 grayscale model: the module's own error, in one line
            try (TorchScript.Loaded good = TorchScript.load(traced, Device.cpu(), null, null, 1)) {
                ImageDataset cifarShaped = new ImageDataset("cifar-shaped", new ImageShape(3, 32, 32), 10, new byte[8 * 3072],
                        new int[8], List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
                assertThatThrownBy(() -> ModelCheck.run(good.block(), cifarShaped, 10, 8, manager))
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(8, 3, 32, 32) images")
                        .hasMessageNotContaining("\n");
            }
        }
    }

    static JsonObject python(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "bench/torchscript_model.py"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("torchscript_model.py %s said: %s", args[0], output).isZero();
        String last = output.strip().lines().reduce((a, b) -> b).orElse("");
        return new Gson().fromJson(last, JsonObject.class);
    }

    private static float[] floats(JsonArray array) {
        float[] values = new float[array.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = array.get(i).getAsFloat();
        }
        return values;
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }
}
