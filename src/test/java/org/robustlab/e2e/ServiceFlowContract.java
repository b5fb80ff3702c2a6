package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The whole flow against the real server on a random port, with real worker processes: submit a
 * tiny Fashion-MNIST ARR job, follow its SSE stream, poll to SUCCEEDED, download the model in both
 * formats and check the checksums, evaluate it and read the report. Then the error mapping.
 */
abstract class ServiceFlowContract extends RealServerTest {




    static final String JOB = """
            {"name": "arr-fashion", "dataset": "fashion-mnist", "trainSubset": 256, "model": "small-cnn",
             "method": "arr", "lambda": 1.0, "divergence": "kl", "attack": {"type": "fgsm", "epsilon": 0.1},
             "epochs": 1, "batchSize": 64,
             "optimizer": {"type": "sgd", "learningRate": 0.01, "momentum": 0.9, "weightDecay": 0.0005},
             "validation": {"size": 100, "pgdSteps": 2}, "seed": 7, "tags": ["e2e"]}""";

    @Test
    void trainFollowDownloadEvaluate() throws Exception {
        HttpResponse<String> created = api.post("/api/v1/training-jobs", JOB);
        assertThat(created.statusCode()).isEqualTo(202);
        JsonNode job = json.readTree(created.body());
        String id = job.get("id").asString();
        assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/training-jobs/" + id);
        assertThat(job.get("state").asString()).isIn("QUEUED", "RUNNING");

        List<String> events = new ArrayList<>();
        HttpResponse<Stream<String>> sse = http.send(api.request("/api/v1/training-jobs/" + id + "/events")
                .timeout(Duration.ofMinutes(5)).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(sse.statusCode()).isEqualTo(200);
        sse.body().filter(l -> l.startsWith("event:")).forEach(events::add);
        assertThat(events).isNotEmpty().last().isEqualTo("event:end");

        JsonNode done = api.waitFor("/api/v1/training-jobs/" + id, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(5));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("progress").get("percent").asDouble()).isEqualTo(100.0);
        assertThat(done.get("metrics").get("validationCleanAccuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(done.get("device").asString()).isEqualTo("cpu");
        JsonNode models = done.get("models");
        assertThat(models).hasSize(2);
        JsonNode metrics = json.readTree(api.get("/api/v1/training-jobs/" + id + "/metrics").body());
        assertThat(metrics).hasSize(1);
        assertThat(metrics.get(0).get("epoch").asInt()).isEqualTo(1);

        String modelId = models.get(0).get("id").asString();
        for (String format : List.of("safetensors", "djl")) {
            HttpResponse<byte[]> file = http.send(api.request("/api/v1/models/" + modelId + "/download?format=" + format).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(file.statusCode()).isEqualTo(200);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(file.body()));
            assertThat(file.headers().firstValue("X-Checksum-SHA256")).hasValue(sha);
            assertThat(file.body().length).isGreaterThan(1_000_000);
        }
        // one machine, the default filesystem store (runs-dir itself): the model's files are under runs-dir as
        // before, and the job's checkpoints are not copied a second time
        assertThat(dir.resolve("runs/models/" + modelId + "/model.safetensors")).isRegularFile();
        assertThat(dir.resolve("runs/jobs/" + id + "/last/state.json")).isRegularFile();
        assertThat(dir.resolve("runs/jobs/" + id + "/checkpoints")).doesNotExist();
        JsonNode model = json.readTree(api.get("/api/v1/models/" + modelId).body());
        assertThat(model.get("jobId").asString()).isEqualTo(id);
        assertThat(model.get("method").asString()).isEqualTo("arr");

        HttpResponse<String> eval = api.post("/api/v1/evaluations", """
                {"modelId": "%s", "testSubset": 200, "attacks": [{"type": "fgsm", "epsilon": 0.1}, {"type": "pgd", "epsilon": 0.1, "steps": 5}]}"""
                .formatted(modelId));
        assertThat(eval.statusCode()).as(eval.body()).isEqualTo(202);
        String evalId = json.readTree(eval.body()).get("id").asString();
        JsonNode evaluated = api.waitFor("/api/v1/evaluations/" + evalId, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(5));
        assertThat(evaluated.get("state").asString()).as(evaluated.toString()).isEqualTo("SUCCEEDED");
        JsonNode report = json.readTree(api.get("/api/v1/evaluations/" + evalId + "/report").body());
        assertThat(report.get("testPoints").asInt()).isEqualTo(200);
        double clean = report.get("cleanAccuracy").asDouble();
        assertThat(clean).isBetween(0.0, 1.0);
        assertThat(report.get("results")).hasSize(2);
        assertThat(report.get("results").get(1).get("robustAccuracy").asDouble()).isLessThanOrEqualTo(clean);
        assertThat(report.get("results").get(1).get("epsilon").asDouble()).isCloseTo(0.1, Offset.offset(1e-6));

        assertThat(api.post("/api/v1/training-jobs/" + id + "/cancel", "").statusCode()).isEqualTo(409);
        JsonNode page = json.readTree(api.get("/api/v1/training-jobs?tag=e2e&state=SUCCEEDED").body());
        assertThat(page.get("content")).hasSize(1);
    }

    /**
     * Deleting: an evaluation, then a model with its evaluations, then a job with its other model, each with its
     * rows and files; what is active, or another researcher's, is refused and left whole.
     */
    @Test
    void deletingAnEvaluationAModelAndAJobRemovesTheirRowsAndFiles() throws Exception {
        String id = json.readTree(api.post("/api/v1/training-jobs", JOB.replace("\"e2e\"", "\"deletion\"")).body()).get("id").asString();
        JsonNode done = api.waitFor("/api/v1/training-jobs/" + id, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(5));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        String model = done.get("models").get(0).get("id").asString();
        String other = done.get("models").get(1).get("id").asString();
        String eval = evaluate(model, 50);
        assertThat(api.waitFor("/api/v1/evaluations/" + eval, e -> e.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(5)).get("state").asString()).isEqualTo("SUCCEEDED");
        assertThat(dir.resolve("runs/evaluations/" + eval)).isDirectory();

        // another researcher may not delete them
        HttpResponse<String> issued = api.post("/api/v1/keys", "{\"name\": \"deleter\", \"role\": \"researcher\"}");
        ApiClient stranger = api.withKey(json.readTree(issued.body()).get("key").asString());
        assertThat(stranger.delete("/api/v1/training-jobs/" + id).statusCode()).isIn(403, 404);
        assertThat(stranger.delete("/api/v1/evaluations/" + eval).statusCode()).isIn(403, 404);
        assertThat(api.get("/api/v1/evaluations/" + eval).statusCode()).isEqualTo(200);

        // what is queued or running is refused, with what to do
        String running = evaluate(model, 10_000);
        HttpResponse<String> busyModel = api.delete("/api/v1/models/" + model);
        assertThat(busyModel.statusCode()).as(busyModel.body()).isEqualTo(409);
        assertThat(json.readTree(busyModel.body()).get("detail").asString()).contains(running).contains("cancel it first");
        assertThat(api.delete("/api/v1/evaluations/" + running).statusCode()).isEqualTo(409);
        api.post("/api/v1/evaluations/" + running + "/cancel", "");
        api.waitFor("/api/v1/evaluations/" + running, e -> e.get("state").asString().equals("CANCELLED"), Duration.ofMinutes(5));

        // an evaluation: its row, report and folder
        assertThat(api.delete("/api/v1/evaluations/" + eval).statusCode()).isEqualTo(204);
        assertThat(api.get("/api/v1/evaluations/" + eval).statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/evaluations/" + eval + "/report").statusCode()).isEqualTo(404);
        assertThat(api.delete("/api/v1/evaluations/" + eval).statusCode()).isEqualTo(404);
        assertThat(dir.resolve("runs/evaluations/" + eval)).doesNotExist();

        // a model, with the (cancelled) evaluation of it
        assertThat(dir.resolve("runs/models/" + model + "/model.safetensors")).isRegularFile();
        assertThat(api.delete("/api/v1/models/" + model).statusCode()).isEqualTo(204);
        assertThat(api.get("/api/v1/models/" + model).statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/evaluations/" + running).statusCode()).isEqualTo(404);
        assertThat(dir.resolve("runs/models/" + model)).doesNotExist();
        JsonNode left = json.readTree(api.get("/api/v1/training-jobs/" + id).body()).get("models");
        assertThat(left).hasSize(1);
        assertThat(left.get(0).get("id").asString()).isEqualTo(other);

        // a job that has not ended is refused; once it has, it goes with its model, metrics, executions and folder
        String queued = json.readTree(api.post("/api/v1/training-jobs", JOB.replace("\"epochs\": 1", "\"epochs\": 20")).body()).get("id").asString();
        HttpResponse<String> busyJob = api.delete("/api/v1/training-jobs/" + queued);
        assertThat(busyJob.statusCode()).as(busyJob.body()).isEqualTo(409);
        assertThat(json.readTree(busyJob.body()).get("detail").asString()).contains("cancel it first");
        api.post("/api/v1/training-jobs/" + queued + "/cancel", "");
        api.waitFor("/api/v1/training-jobs/" + queued, j -> j.get("state").asString().equals("CANCELLED"), Duration.ofMinutes(5));
        // the runner's last writes of the ended execution may still race the deletion, which then answers 409 "retry"
        HttpResponse<String> deleted = Waits.until("the deletion of " + queued, Duration.ofSeconds(30),
                () -> api.delete("/api/v1/training-jobs/" + queued), r -> r.statusCode() != 409);
        assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);

        assertThat(dir.resolve("runs/jobs/" + id + "/last/state.json")).isRegularFile();
        assertThat(api.delete("/api/v1/training-jobs/" + id).statusCode()).isEqualTo(204);
        assertThat(api.get("/api/v1/training-jobs/" + id).statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/training-jobs/" + id + "/metrics").statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/models/" + other).statusCode()).isEqualTo(404);
        assertThat(json.readTree(api.get("/api/v1/training-jobs?tag=deletion").body()).get("content")).isEmpty();
        assertThat(dir.resolve("runs/jobs/" + id)).doesNotExist();
        assertThat(dir.resolve("runs/jobs/" + queued)).doesNotExist();
        assertThat(dir.resolve("runs/models/" + other)).doesNotExist();
        assertThat(api.delete("/api/v1/training-jobs/" + id).statusCode()).isEqualTo(404);
    }

    private String evaluate(String model, int points) throws Exception {
        HttpResponse<String> r = api.post("/api/v1/evaluations", """
                {"modelId": "%s", "testSubset": %d, "attacks": [{"type": "pgd", "epsilon": 0.1, "steps": 50}],
                 "diagnostics": {"enabled": false}}""".formatted(model, points));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return json.readTree(r.body()).get("id").asString();
    }

    @Test
    void badInputGetsProblemDetailsThatNameTheField() throws Exception {
        HttpResponse<String> eps = api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "attack": {"type": "fgsm", "epsilon": 8}}""");
        assertThat(eps.statusCode()).isEqualTo(400);
        JsonNode p = json.readTree(eps.body());
        assertThat(p.get("field").asString()).isEqualTo("attack.epsilon");
        assertThat(p.get("detail").asString()).contains("attack.epsilon").contains("8");
        assertThat(eps.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));

        HttpResponse<String> method = api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "method": "magic"}""");
        assertThat(method.statusCode()).isEqualTo(400);
        assertThat(json.readTree(method.body()).get("detail").asString()).contains("standard").contains("trades").contains("mart");
        assertThat(json.readTree(method.body()).get("field").asString()).isEqualTo("method");

        HttpResponse<String> dataset = api.post("/api/v1/training-jobs", """
                {"dataset": "imagenet"}""");
        assertThat(dataset.statusCode()).isEqualTo(400);
        assertThat(json.readTree(dataset.body()).get("detail").asString()).contains("cifar10");

        HttpResponse<String> smallCifar = api.post("/api/v1/training-jobs", """
                {"dataset": "cifar10", "model": "small-cnn"}""");
        assertThat(smallCifar.statusCode()).isEqualTo(400);
        assertThat(json.readTree(smallCifar.body()).get("field").asString()).isEqualTo("model");

        HttpResponse<String> garbage = api.post("/api/v1/training-jobs", "{not json");
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(garbage.body()).doesNotContain("at org.");

        assertThat(api.get("/api/v1/training-jobs/00000000-0000-0000-0000-000000000000").statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/training-jobs/not-a-uuid").statusCode()).isEqualTo(400);
        assertThat(api.get("/api/v1/models/00000000-0000-0000-0000-000000000000/download").statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/training-jobs?state=DONE").statusCode()).isEqualTo(400);
        assertThat(api.post("/api/v1/evaluations", """
                {"modelId": "00000000-0000-0000-0000-000000000000", "attacks": [{"type": "pgd", "epsilon": 0.1}]}""").statusCode())
                .isEqualTo(404);
        HttpResponse<String> noAttacks = api.post("/api/v1/evaluations", """
                {"modelId": "00000000-0000-0000-0000-000000000000", "attacks": []}""");
        assertThat(noAttacks.statusCode()).isEqualTo(400);
        // device: gpu on an instance without one, or an unknown device, is refused at submission
        HttpResponse<String> gpu = api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "device": "gpu"}""");
        assertThat(gpu.statusCode()).isEqualTo(400);
        assertThat(json.readTree(gpu.body()).get("field").asString()).isEqualTo("device");
        assertThat(json.readTree(gpu.body()).get("detail").asString()).contains("no GPU").contains("auto or cpu");
        HttpResponse<String> tpu = api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "device": "tpu"}""");
        assertThat(tpu.statusCode()).isEqualTo(400);
        assertThat(json.readTree(tpu.body()).get("detail").asString()).contains("[auto, cpu, gpu]").contains("tpu");
        HttpResponse<String> gpuEval = api.post("/api/v1/evaluations", """
                {"modelId": "00000000-0000-0000-0000-000000000000", "attacks": [{"type": "pgd", "epsilon": 0.1}], "device": "gpu"}""");
        assertThat(gpuEval.statusCode()).isEqualTo(400);
        assertThat(json.readTree(gpuEval.body()).get("field").asString()).isEqualTo("device");

        // the devices endpoint and health name the libtorch this instance loaded
        JsonNode devices = json.readTree(api.get("/api/v1/devices").body());
        assertThat(devices.get("engine").get("libtorchVersion").asString()).isEqualTo("2.7.1");
        assertThat(devices.get("engine").get("flavor").asString()).isEqualTo("cpu");
        assertThat(devices.get("engine").get("folder").asString()).isNotBlank();
        assertThat(devices.get("gpus")).isEmpty();
        assertThat(devices.get("cpu").get("slots").asInt()).isEqualTo(1);
        JsonNode health = json.readTree(api.get("/actuator/health").body());
        JsonNode engine = health.get("components").get("djlEngine");
        assertThat(engine.get("status").asString()).isEqualTo("UP");
        assertThat(engine.get("details").get("engine").get("flavor").asString()).isEqualTo("cpu");

        JsonNode datasets = json.readTree(api.get("/api/v1/datasets").body());
        assertThat(datasets.toString()).contains("\"id\":\"fashion-mnist\",\"status\":\"present\"");
        assertThat(api.get("/v3/api-docs").statusCode()).isEqualTo(200);
    }

}
