package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.data.DatasetId;
import tools.jackson.databind.JsonNode;

/**
 * CIFAR-100 end to end on the real server: the official binary format read from the data folder (files made here in
 * that format: CIFAR-100 itself cannot be downloaded on this machine), a 100-class ResNet-18 trained by a job, and an
 * evaluation with APGD-DLR, APGD-T with 9 target classes and AutoAttack's ensemble, whose report has the per-class
 * table on 100 classes and says it normalised with CIFAR-100's mean and std.
 */
class Cifar100FlowTest extends RealServerTest {

    private static final int TRAIN_PER_CLASS = 4;
    private static final int TEST_PER_CLASS = 1;
    /** The first 60 test points: classes 0 to 59 once each; the per-class table still has 100 rows. */
    private static final int TEST_POINTS = 60;

    /**
     * train.bin and test.bin as the CIFAR-100 binary version lays them out: per record a coarse label byte, a fine label
     * byte and 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, row-major). Each fine class is a template of its own
     * plus noise, so that a model trained briefly tells some classes apart.
     */
    @BeforeAll
    static void writeCifar100() throws IOException {
        Path folder = dir.resolve("datasets").resolve("cifar-100-binary");
        Files.createDirectories(folder);
        Random random = new Random(100);
        // each class a template of 8x8-pixel blocks of random colours
        byte[][] templates = new byte[100][3072];
        for (byte[] t : templates) {
            byte[] blocks = new byte[3 * 16];
            random.nextBytes(blocks);
            for (int j = 0; j < 3072; j++) {
                int channel = j / 1024;
                int row = j % 1024 / 32;
                int column = j % 32;
                t[j] = blocks[channel * 16 + row / 8 * 4 + column / 8];
            }
        }
        Files.write(folder.resolve("train.bin"), records(templates, TRAIN_PER_CLASS, random));
        Files.write(folder.resolve("test.bin"), records(templates, TEST_PER_CLASS, random));
    }

    private static byte[] records(byte[][] templates, int perClass, Random random) {
        int size = 2 + 3072;
        byte[] data = new byte[templates.length * perClass * size];
        int r = 0;
        for (int k = 0; k < perClass; k++) {
            for (int c = 0; c < templates.length; c++, r++) {
                data[r * size] = (byte) (c / 5);
                data[r * size + 1] = (byte) c;
                for (int j = 0; j < 3072; j++) {
                    int v = (templates[c][j] & 0xff) + random.nextInt(41) - 20;
                    data[r * size + 2 + j] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return data;
    }

    @Test
    void aHundredClassModelIsTrainedAndEvaluatedWithTargetedAttacks() throws Exception {
        HttpResponse<String> created = api.post("/api/v1/training-jobs", """
                {"name": "cifar100", "dataset": "cifar100", "model": "resnet18", "method": "standard", "epochs": 3, "batchSize": 50,
                 "augment": false,
                 "optimizer": {"type": "sgd", "learningRate": 0.05, "momentum": 0.9, "weightDecay": 0.0005},
                 "validation": {"size": 50, "pgdSteps": 1}, "seed": 3}""");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        String job = json.readTree(created.body()).get("id").asString();
        JsonNode done = api.waitFor("/api/v1/training-jobs/" + job, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(10));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        String model = done.get("models").get(0).get("id").asString();
        JsonNode modelView = json.readTree(api.get("/api/v1/models/" + model).body());
        assertThat(modelView.get("dataset").asString()).isEqualTo("cifar100");
        assertThat(modelView.get("normalization").get("source").asString()).isEqualTo("dataset");

        HttpResponse<String> submitted = api.post("/api/v1/evaluations", """
                {"modelId": "%s", "seed": 1, "testSubset": %d,
                 "attacks": [{"type": "apgd-dlr", "epsilon": 0.031, "steps": 3}, {"type": "apgd-t", "epsilon": 0.031, "steps": 3},
                             {"type": "ensemble", "epsilon": 0.031, "steps": 3, "queries": 20}],
                 "diagnostics": {"enabled": false}}""".formatted(model, TEST_POINTS));
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String eval = json.readTree(submitted.body()).get("id").asString();
        JsonNode evaluated = api.waitFor("/api/v1/evaluations/" + eval, e -> e.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(10));
        assertThat(evaluated.get("state").asString()).as(evaluated.toString()).isEqualTo("SUCCEEDED");
        JsonNode report = json.readTree(api.get("/api/v1/evaluations/" + eval + "/report").body());

        assertThat(report.get("testPoints").asInt()).isEqualTo(TEST_POINTS);
        List<String> labels = new ArrayList<>();
        report.get("results").forEach(r -> labels.add(r.get("label").asString()));
        // APGD-T and the ensemble's APGD-T and FAB-T take 9 of the 99 other classes as targets
        assertThat(labels).containsExactly("apgd-dlr-3", "apgd-t-3x9", "ensemble");
        JsonNode stages = report.get("results").get(2).get("attack").get("ensemble").get("stages");
        assertThat(stages).hasSize(4);
        assertThat(stages.get(1).get("restarts").asInt()).isEqualTo(9);
        assertThat(stages.get(2).get("type").asString()).isEqualTo("fab-t");
        double clean = report.get("cleanAccuracy").asDouble();
        assertThat(clean).as("the model tells some classes apart, so the attacks have points to attack").isGreaterThan(0.05);
        for (JsonNode r : report.get("results")) {
            assertThat(r.get("robustAccuracy").asDouble()).isLessThanOrEqualTo(clean);
            assertThat(r.get("perClassAccuracy")).hasSize(100);
        }
        JsonNode perClass = report.get("perClassAccuracy");
        assertThat(perClass).hasSize(100);
        assertThat(perClass.get(0).get("name").asString()).isEqualTo("apple");
        assertThat(perClass.get(99).get("name").asString()).isEqualTo("worm");
        assertThat(perClass.get(42).get("testPoints").asInt()).isEqualTo(TEST_PER_CLASS);
        assertThat(perClass.get(99).get("testPoints").asInt()).isZero();
        assertThat(report.get("normalization").get("source").asString()).isEqualTo("dataset");
        assertThat(report.get("normalization").get("mean").get(0).asDouble()).isCloseTo(DatasetId.CIFAR100.mean()[0], within(1e-6));
        assertThat(report.get("autoAttackChecks").toString()).doesNotContain("fewer than 4 classes");
        String page = api.get("/api/v1/evaluations/" + eval + "/report.html").body();
        assertThat(page).contains("worm").contains("0.5071");
    }
}
