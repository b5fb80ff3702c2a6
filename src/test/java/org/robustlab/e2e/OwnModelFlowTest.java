package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.robustlab.artifact.Checksums;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * A lab's own network, end to end on the real server: a model RobustLab does not know (its own layer names, 24-channel
 * convolutions, BatchNorm, GELU, its normalisation inside) saved as TorchScript with Debian's PyTorch is uploaded,
 * checked in a worker process, evaluated with PGD-20, and its clean accuracy is PyTorch's own on the same points; bad
 * archives (probabilities, no input gradient, the wrong output shape, a forward pass that never ends, a torch.save file,
 * garbage) are refused with a 400 that says what is wrong, and nothing of them is stored.
 */
class OwnModelFlowTest extends RealServerTest {

    private static final int POINTS = 200;
    static Path good;
    static Map<String, Path> bad = new LinkedHashMap<>();
    static String pytorchLine;

    @DynamicPropertySource
    static void ownModelProperties(DynamicPropertyRegistry r) {
        // long enough for a worker's start on a loaded machine; the endless model is killed at it
        r.add("robustlab.limits.model-check-timeout", () -> "60s");
        // above the archives made here (about 1 MB), below the oversized one
        r.add("robustlab.limits.max-torch-script-size", () -> "8MB");
    }

    @BeforeAll
    static void makeArchives() throws Exception {
        good = dir.resolve("labnet.pt");
        python("make", good.toString(), "--train-steps", "40");
        for (String kind : List.of("probabilities", "no-gradient", "wrong-shape", "slow", "state-dict")) {
            Path p = dir.resolve(kind + ".pt");
            python("bad", kind, p.toString());
            bad.put(kind, p);
        }
        pytorchLine = (python("eval", good.toString(), "--points", String.valueOf(POINTS), "--eps", "0.1"));
    }

    @Test
    void aLabsModelIsCheckedEvaluatedAndMatchesPyTorchAndBadOnesAreRefused() throws Exception {
        HttpResponse<String> up = upload(Files.readAllBytes(good), "labnet.pt", Map.of("model", "torchscript", "dataset", "fashion-mnist",
                "name", "LabNet"));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        JsonNode model = json.readTree(up.body());
        String id = model.get("id").asString();
        assertThat(model.get("format").asString()).isEqualTo("torchscript");
        assertThat(model.get("architecture").asString()).isEqualTo("torchscript");
        JsonNode ts = model.get("torchScript");
        assertThat(ts.get("numClasses").asInt()).isEqualTo(10);
        assertThat(ts.get("parameters").asLong()).isEqualTo(238_042);
        assertThat(ts.get("costPerImage").asDouble()).isGreaterThanOrEqualTo(1);
        assertThat(ts.get("checks").get("accuracy").asDouble()).isGreaterThan(0.5);
        assertThat(ts.get("checks").get("meanAbsGradient").asDouble()).isGreaterThan(0);
        assertThat(model.has("safetensorsSha256")).isFalse();

        // what is refused, and why
        assertProblem(upload(Files.readAllBytes(bad.get("probabilities")), "p.pt", torchscript()), "file", "probabilities");
        assertProblem(upload(Files.readAllBytes(bad.get("no-gradient")), "g.pt", torchscript()), "file", "gradient is zero");
        assertProblem(upload(Files.readAllBytes(bad.get("wrong-shape")), "w.pt", torchscript()), "file", "expected (64, 10)");
        assertProblem(upload(Files.readAllBytes(bad.get("state-dict")), "s.pt", torchscript()), "file", "torch.jit.save");
        assertProblem(upload("not an archive".getBytes(StandardCharsets.UTF_8), "x.pt", torchscript()), "file", "not a zip");
        assertProblem(upload(Files.readAllBytes(bad.get("slow")), "slow.pt", torchscript()), "file", "within 60 s");
        assertProblem(upload(new byte[8 * 1024 * 1024 + 1], "huge.pt", torchscript()), "file", "over 8388608 bytes");
        Map<String, String> cifarMean = new LinkedHashMap<>(torchscript());
        cifarMean.put("mean", "0.49,0.48,0.45");
        cifarMean.put("std", "0.25,0.24,0.26");
        assertProblem(upload(Files.readAllBytes(good), "labnet.pt", cifarMean), "mean", "one value per channel");
        Map<String, String> onlyMean = new LinkedHashMap<>(torchscript());
        onlyMean.put("mean", "0.5");
        assertProblem(upload(Files.readAllBytes(good), "labnet.pt", onlyMean), "std", "go together");
        Map<String, String> classes = new LinkedHashMap<>(torchscript());
        classes.put("numClasses", "100");
        assertProblem(upload(Files.readAllBytes(good), "labnet.pt", classes), "numClasses", "has 10 classes");
        assertProblem(upload(Files.readAllBytes(good), "labnet.pt", Map.of("model", "torchscript", "dataset", "cifar10")), "dataset",
                "not available");
        assertThat(json.readTree(api.get("/api/v1/models").body()).get("content")).hasSize(1);
        try (Stream<Path> stored = Files.list(dir.resolve("runs").resolve("uploads"))) {
            assertThat(stored.map(p -> p.getFileName().toString())).containsExactly(id);
        }

        // the archive comes back as it went in
        HttpResponse<String> wrongFormat = api.get("/api/v1/models/" + id + "/download?format=safetensors");
        assertThat(wrongFormat.statusCode()).as(wrongFormat.body()).isEqualTo(400);
        assertThat(json.readTree(wrongFormat.body()).get("detail").asString()).contains("format=torchscript");
        HttpResponse<byte[]> download = api.http.send(api.request("/api/v1/models/" + id + "/download?format=torchscript").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(Files.readAllBytes(good));
        assertThat(download.headers().firstValue("X-Checksum-SHA256")).hasValue(Checksums.sha256(good));

        // evaluated as PyTorch sees it
        HttpResponse<String> submitted = api.post("/api/v1/evaluations", """
                {"modelId": "%s", "testSubset": %d, "attacks": [{"type": "pgd", "epsilon": 0.1, "steps": 20}],
                 "diagnostics": {"enabled": false}}""".formatted(id, POINTS));
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String evaluation = json.readTree(submitted.body()).get("id").asString();
        JsonNode done = api.waitFor("/api/v1/evaluations/" + evaluation, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(8));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        JsonNode report = json.readTree(api.get("/api/v1/evaluations/" + evaluation + "/report").body());
        JsonNode pytorch = json.readTree(pytorchLine);
        double clean = report.get("cleanAccuracy").asDouble();
        double pgd = report.get("results").get(0).get("robustAccuracy").asDouble();
        System.out.printf("a lab's TorchScript model, %d Fashion-MNIST test points: clean %.3f RobustLab, %.3f PyTorch; PGD-20 %.3f"
                + " RobustLab, %.3f PyTorch%n", POINTS, clean, pytorch.get("clean").asDouble(), pgd, pytorch.get("pgd20").asDouble());
        // the same points right: PyTorch's figure is a float32 mean
        assertThat(Math.round(clean * POINTS)).isEqualTo(Math.round(pytorch.get("clean").asDouble() * POINTS));
        // the same attack written in the test's Python; the random starts differ: within 1.5 points of accuracy
        assertThat(pgd).isCloseTo(pytorch.get("pgd20").asDouble(), within(0.015));
        assertThat(pgd).isLessThan(clean);

        // AutoAttack standard at its full budget, a transfer attack with the model as its own surrogate, the masking
        // checks and pictures: a report like a built-in model's, and a ranked leaderboard row
        HttpResponse<String> full = api.post("/api/v1/evaluations", """
                {"modelId": "%s", "testSubset": 16, "attacks": [{"type": "ensemble", "epsilon": 0.1},
                 {"type": "transfer", "epsilon": 0.1, "surrogateModelId": "%s"}],
                 "diagnostics": {"points": 16, "squareQueries": 100, "pictures": 2}}""".formatted(id, id));
        assertThat(full.statusCode()).as(full.body()).isEqualTo(202);
        String fullId = json.readTree(full.body()).get("id").asString();
        JsonNode fullDone = api.waitFor("/api/v1/evaluations/" + fullId, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(15));
        assertThat(fullDone.get("state").asString()).as(fullDone.toString()).isEqualTo("SUCCEEDED");
        JsonNode fullReport = json.readTree(api.get("/api/v1/evaluations/" + fullId + "/report").body());
        assertThat(fullReport.get("results")).hasSize(2);
        assertThat(fullReport.get("results").get(0).get("attack").get("ensemble").toString()).contains("fab-t");
        assertThat(fullReport.get("maskingChecks")).hasSize(6);
        assertThat(fullReport.get("perClassAccuracy")).hasSize(10);
        assertThat(fullReport.get("plots").toString()).isEqualTo("[\"adversarial-examples\",\"saliency\"]");
        String plot = fullReport.get("plots").get(0).asString();
        HttpResponse<byte[]> png = api.http.send(api.request("/api/v1/evaluations/" + fullId + "/plots/" + plot + ".png").GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(png.statusCode()).isEqualTo(200);
        assertThat(png.body()).startsWith(new byte[] {(byte) 0x89, 'P', 'N', 'G'});
        JsonNode board = json.readTree(api.get("/api/v1/leaderboard").body()).get("boards");
        List<String> ranked = new ArrayList<>();
        board.forEach(b -> b.get("ranked").forEach(r -> ranked.add(r.get("modelId").asString() + " " + r.get("architecture").asString())));
        assertThat(ranked).contains(id + " torchscript");
    }

    /**
     * A RobustBench checkpoint as it comes (a DataParallel prefix, the TRADES WideResNet's unused sub_block1, [0,1] input) is
     * taken for wrn-28-10 with mean 0 and std 1 and stored under RobustLab's names; a checkpoint that does not match is
     * refused with every mismatch listed, and one of DeepMind's layout is told which architecture to name.
     */
    @Test
    void aRobustBenchCheckpointIsTakenUnderItsOwnNames() throws Exception {
        Path rb = dir.resolve("robustbench");
        Path dm = dir.resolve("deepmind");
        runPython("bench/robustbench_checkpoint.py", "wrn-28-10", rb.toString());
        runPython("bench/robustbench_checkpoint.py", "dm-wrn-28-10", dm.toString());
        Map<String, String> parts = Map.of("model", "wrn-28-10", "dataset", "cifar10", "name", "Carmon2019-like", "mean", "0,0,0",
                "std", "1,1,1");
        HttpResponse<String> up = upload(Files.readAllBytes(rb.resolve("model.safetensors")), "Carmon2019.safetensors", parts);
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        JsonNode model = json.readTree(up.body());
        assertThat(model.get("architecture").asString()).isEqualTo("wrn-28-10");
        assertThat(model.get("normalization").get("source").asString()).isEqualTo("upload");
        assertThat(model.get("normalization").get("std").get(2).asDouble()).isEqualTo(1.0);
        assertThat(model.get("hyperparameters").get("names").toString()).contains("module.").contains("sub_block1");
        HttpResponse<byte[]> file = api.http.send(api.request("/api/v1/models/" + model.get("id").asString() + "/download?format=safetensors")
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(file.statusCode()).isEqualTo(200);
        long headerLength = java.nio.ByteBuffer.wrap(file.body(), 0, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(file.body(), 8, (int) headerLength, StandardCharsets.UTF_8);
        assertThat(header).contains("\"fc.weight\"").contains("\"normalize.std\"").doesNotContain("module.").doesNotContain("sub_block1");

        assertProblem(upload(Files.readAllBytes(rb.resolve("broken.safetensors")), "broken.safetensors", parts), "file",
                "2 missing: block1.layer.0.conv1.weight [160, 16, 3, 3], fc.weight [10, 640]; 1 unexpected: classifier.weight");
        assertProblem(upload(Files.readAllBytes(dm.resolve("model.safetensors")), "dm.safetensors",
                Map.of("model", "wrn-28-10", "dataset", "cifar10")), "file", "upload it as dm-wrn-28-10 or dm-wrn-70-16");
        assertProblem(upload(Files.readAllBytes(dm.resolve("model.safetensors")), "dm.safetensors",
                Map.of("model", "dm-wrn-28-10", "dataset", "cifar10", "numClasses", "10")), "numClasses", "for model=torchscript");
        assertProblem(upload(Files.readAllBytes(dm.resolve("model.safetensors")), "dm.safetensors",
                Map.of("model", "dm-wrn-28-10", "dataset", "cifar10", "mean", "0,0,0")), "std", "mean and std go together");
        HttpResponse<String> deepMind = upload(Files.readAllBytes(dm.resolve("model.safetensors")), "dm.safetensors",
                Map.of("model", "dm-wrn-28-10", "dataset", "cifar10"));
        assertThat(deepMind.statusCode()).as(deepMind.body()).isEqualTo(201);
        assertThat(json.readTree(deepMind.body()).get("normalization").get("source").asString()).isEqualTo("dataset");
    }

    private static Map<String, String> torchscript() {
        return Map.of("model", "torchscript", "dataset", "fashion-mnist");
    }

    private void assertProblem(HttpResponse<String> response, String field, String detailPart) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode p = json.readTree(response.body());
        assertThat(p.get("field").asString()).as(response.body()).isEqualTo(field);
        assertThat(p.get("detail").asString()).contains(detailPart);
    }

    private HttpResponse<String> upload(byte[] file, String filename, Map<String, String> parts) throws Exception {
        return api.uploadModel(file, filename, parts);
    }

    /** Runs bench/torchscript_model.py with Debian's PyTorch; returns its last line (JSON). */
    private static String python(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bench/torchscript_model.py"));
        command.addAll(List.of(args));
        return runPython(command.toArray(String[]::new));
    }

    /** Runs a script of bench/ with Debian's PyTorch; returns its last line. */
    private static String runPython(String... scriptAndArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3"));
        command.addAll(List.of(scriptAndArgs));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s said: %s", String.join(" ", scriptAndArgs), output).isZero();
        return output.strip().lines().reduce((a, b) -> b).orElse("");
    }
}
