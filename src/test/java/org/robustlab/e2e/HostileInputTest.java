package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a careless or hostile client sends, against the real server: every answer is a 4xx problem+json
 * that names what to fix (never a 5xx, never Tomcat's HTML page, never a long echo or a server path), and
 * a refused upload leaves nothing on disk.
 */
class HostileInputTest extends RealServerTest {

    static byte[] goodModel;

    /** A valid SmallCNN safetensors file, as PyTorch would write it, to break in different ways. */
    @BeforeAll
    static void aValidModelFile() throws Exception {
        Path file = dir.resolve("good.safetensors");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(1);
            try (Model model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager)) {
                Safetensors.write(model.getBlock(), file, Map.of(), 0);
            }
        }
        goodModel = Files.readAllBytes(file);
    }

    @Test
    void malformedRequestsAreFourHundredsThatNameTheField() throws Exception {
        assertProblem(api.get("/api/v1/training-jobs?page=2147483647"), 400, "page", "page must be in [0, ");
        assertProblem(api.get("/api/v1/models?page=2147483647"), 400, "page", "page must be in [0, ");
        assertProblem(api.get("/api/v1/training-jobs?size=100000"), 400, "size", "[1, 200]");
        assertProblem(api.get("/api/v1/evaluations?page=2147483647"), 400, "page", "page must be in [0, ");
        assertProblem(api.get("/api/v1/evaluations?state=DONE"), 400, "state", "state");
        assertProblem(api.get("/api/v1/evaluations?jobId=not-a-uuid"), 400, "jobId", "jobId");
        assertThat(api.get("/api/v1/evaluations?jobId=00000000-0000-0000-0000-000000000000").statusCode()).isEqualTo(200);
        assertThat(api.get("/api/v1/leaderboard").statusCode()).isEqualTo(200);
        assertProblem(api.post("/api/v1/sweeps", SweepFlowTest.HALVING.replace("\"reductionFactor\": 2", "\"reductionFactor\": 1")),
                400, "halving.reductionFactor", "2");
        assertProblem(api.post("/api/v1/sweeps", SweepFlowTest.HALVING.replace("\"asha\"", "\"bayes\"")), 400, "strategy", "grid or asha");
        assertProblem(api.post("/api/v1/evaluations", """
                {"modelId": "00000000-0000-0000-0000-000000000000", "attacks": [null]}"""), 400, "attacks[0]", "null");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "epoch": 1}"""), 400, "epoch", "unknown field 'epoch'");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "attack": {"type": "fgsm", "epsilo": 0.1}}"""), 400, "attack.epsilo", "unknown field");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "epochs": 1.5}"""), 400, "epochs", "epochs must be an integer");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "epochs": "ten"}"""), 400, "epochs", "integer");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "schedule": {"type": "multistep", "milestones": [null]}}"""), 400,
                "schedule.milestones[0]", "null");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist"} {"dataset": "mnist"}"""), 400, null, "JSON");
        assertProblem(api.post("/api/v1/training-jobs", "[1, 2]"), 400, null, "");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "loss": "%s"}""".formatted("x".repeat(100_000))), 400, "loss", "unknown field");
        assertProblem(api.post("/api/v1/evaluations", """
                {"modelId": "00000000-0000-0000-0000-000000000000", "attacks": [{"type": "pgd", "epsilon": 0.1, "loss": "%s"}]}"""
                .formatted("x".repeat(100_000))), 400, "attacks[0].loss", "size must be between");
        // the stop for catastrophic overfitting is for adversarial methods only
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "method": "standard", "catastrophicOverfitting": {"enabled": true}}"""), 400,
                "catastrophicOverfitting.enabled", "adversarial methods");
    }

    /**
     * The OpenAPI document's request examples, sent as they are: the training job and the sweep are accepted (and
     * cancelled) and the key is issued;
     * the evaluation and comparison examples name placeholder ids, which are a 404 that says what is missing
     * (never a 400: the examples are valid requests).
     */
    @Test
    void theDocumentsExamplesAreValidRequests() throws Exception {
        JsonNode docs = json.readTree(api.get("/v3/api-docs").body());
        JsonNode schemas = docs.get("components").get("schemas");
        Map<String, Integer> expected = Map.of("/api/v1/training-jobs", 202, "/api/v1/keys", 201,
                "/api/v1/evaluations", 404, "/api/v1/comparisons", 404, "/api/v1/sweeps", 202);
        int tried = 0;
        for (Map.Entry<String, JsonNode> path : docs.get("paths").properties()) {
            JsonNode body = path.getValue().path("post").path("requestBody").path("content").path("application/json");
            if (body.isMissingNode()) {
                continue;
            }
            String ref = body.get("schema").get("$ref").asString();
            JsonNode example = schemas.get(ref.substring(ref.lastIndexOf('/') + 1)).path("example");
            assertThat(example.isMissingNode()).as(path.getKey() + " has an example").isFalse();
            HttpResponse<String> r = api.post(path.getKey(), example.isString() ? example.asString() : json.writeValueAsString(example));
            assertThat(r.statusCode()).as(path.getKey() + ": " + r.body()).isEqualTo(expected.get(path.getKey()));
            if (r.statusCode() == 404) {
                assertThat(json.readTree(r.body()).get("detail").asString()).as(path.getKey()).contains("00000000-0000-0000-0000-00000000000");
            }
            if (path.getKey().equals("/api/v1/training-jobs") || path.getKey().equals("/api/v1/sweeps")) {
                assertThat(api.post(path.getKey() + "/" + json.readTree(r.body()).get("id").asString() + "/cancel", "").statusCode())
                        .isEqualTo(202);
            }
            tried++;
        }
        assertThat(tried).isEqualTo(expected.size());
    }

    @Test
    void theDataAJobNeedsIsCheckedAtSubmission() throws Exception {
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "trainSubset": 100000}"""), 400, "trainSubset", "59000 training images");
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "validation": {"size": 60000}}"""), 400, "validation.size", "60000 training images");
        HttpResponse<String> mnist = api.post("/api/v1/training-jobs", """
                {"dataset": "mnist"}""");
        assertProblem(mnist, 400, "dataset", "not available on this instance");
        assertThat(mnist.body()).contains("data-dir/mnist").doesNotContain(dir.toString());
        assertProblem(api.post("/api/v1/training-jobs", """
                {"dataset": "cifar10"}"""), 400, "dataset", "enable downloading");
        JsonNode datasets = json.readTree(api.get("/api/v1/datasets").body());
        assertThat(datasets.toString()).doesNotContain(dir.toString()).doesNotContain("/usr/share")
                .contains("system datasets/fashion-mnist").contains("data-dir/cifar-10-batches-bin");
    }

    @Test
    void tomcatsOwnRejectionsAreProblemJsonToo() throws Exception {
        HttpResponse<String> slash = api.get("/api/v1/training-jobs/a%2Fb");
        assertThat(slash.statusCode()).isEqualTo(400);
        assertThat(slash.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
        assertThat(json.readTree(slash.body()).get("type").asString()).startsWith("https://robustlab.org/problems/");
        HttpResponse<String> huge = api.get("/api/v1/training-jobs/" + "a".repeat(9000));
        assertThat(huge.statusCode()).isBetween(400, 431);
        assertThat(huge.body()).doesNotContain("<html").doesNotContain("Tomcat");
        assertThat(json.readTree(huge.body()).get("type").asString()).startsWith("https://robustlab.org/problems/");
        HttpResponse<String> longId = api.get("/api/v1/training-jobs/" + "a".repeat(3000));
        assertProblem(longId, 400, "id", "a UUID");
        assertThat(longId.body().length()).as("the 3000-character value is not echoed in full").isLessThan(600);
        HttpResponse<String> notAcceptable = api.send(api.request("/api/v1/datasets")
                .header("Accept", "image/png").build());
        assertThat(notAcceptable.statusCode()).isEqualTo(406);

        // the firewall's refusals (a double-encoded slash, a raw '..'), TRACE and a broken chunked body: problem+json too
        HttpResponse<String> doubleEncoded = http.send(api.request("/api/v1/models/a%252Fb").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(doubleEncoded.statusCode()).isEqualTo(400);
        assertThat(doubleEncoded.headers().firstValue("Content-Type").orElse("") + " " + doubleEncoded.body()).startsWith("application/problem+json");
        assertThat(json.readTree(doubleEncoded.body()).get("detail").asString()).contains("path was refused");
        String dotDot = raw("GET /api/v1/training-jobs/../models HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + api.key
                + "\r\nConnection: close\r\n\r\n");
        assertThat(dotDot).startsWith("HTTP/1.1 400").contains("application/problem+json").contains("\"type\":\"https://robustlab.org/problems/");
        HttpResponse<String> trace = http.send(api.request("/api/v1/datasets").method("TRACE", HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(trace.statusCode()).isEqualTo(405);
        assertThat(trace.headers().firstValue("Content-Type").orElse("") + " " + trace.body()).startsWith("application/problem+json");
        assertThat(trace.headers().firstValue("Allow")).isPresent();
        assertThat(trace.body()).as("TRACE echoes nothing of the request").doesNotContain(api.key);
        String badChunk = raw("POST /api/v1/training-jobs HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + api.key
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n");
        assertThat(badChunk).startsWith("HTTP/1.1 400").contains("application/problem+json");
    }

    /** Sends {@code request} as it is over a socket and returns the whole answer. */
    private String raw(String request) throws Exception {
        try (java.net.Socket s = new java.net.Socket("localhost", port)) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void badUploadsAreRefusedAndLeaveNothingOnDisk() throws Exception {
        assertProblem(upload(goodModel, "m.safetensors", "n".repeat(100_000)), 400, "name", "at most 200 characters");
        assertProblem(upload(rewriteHeader(goodModel, h -> ((ObjectNode) h.get("classifier.fc3.bias")).putObject("dtype")),
                "m.safetensors", null), 400, "file", "malformed header entry");
        assertProblem(upload(rewriteHeader(goodModel, h -> ((ObjectNode) h.get("feature_extractor.conv2.bias"))
                .set("data_offsets", h.get("feature_extractor.conv1.bias").get("data_offsets"))), "m.safetensors", null),
                400, "file", "overlap");
        assertProblem(upload(withNaN(goodModel), "m.safetensors", null), 400, "file", "finite");
        long start = System.nanoTime();
        assertProblem(upload(rewriteHeader(goodModel, h -> ((ObjectNode) h).putObject("__metadata__").put("pad", "p".repeat(2 << 20))),
                "m.safetensors", null), 400, "file", "over the limit");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("an oversized header is refused before it is parsed")
                .isLessThan(Duration.ofSeconds(10));
        assertProblem(upload(rewriteHeader(goodModel, h -> {
            for (int i = 0; i < 5000; i++) {
                ((ObjectNode) h).putObject("t" + i).put("dtype", "F32").putArray("shape");
                ((ObjectNode) h.get("t" + i)).putArray("data_offsets").add(0).add(0);
            }
        }), "m.safetensors", null), 400, "file", "tensors; at most");
        Path uploads = dir.resolve("runs").resolve("uploads");
        if (Files.exists(uploads)) {
            try (Stream<Path> left = Files.list(uploads)) {
                assertThat(left).as("nothing is left of refused uploads").isEmpty();
            }
        }
        HttpResponse<String> ok = upload(goodModel, "C:\\Users\\me\\model.safetensors", "mine");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(201);
        assertThat(json.readTree(ok.body()).get("hyperparameters").get("filename").asString()).isEqualTo("model.safetensors");
    }

    @Test
    void concurrentCancelsOfOneQueuedJobAgree() throws Exception {
        // the single CPU slot is taken by a long job, so the second one stays QUEUED
        String busy = submit("""
                {"dataset": "fashion-mnist", "trainSubset": 5000, "epochs": 20, "method": "standard"}""");
        api.waitFor("/api/v1/training-jobs/" + busy, j -> j.get("state").asString().equals("RUNNING"), Duration.ofMinutes(3));
        String queued = submit("""
                {"dataset": "fashion-mnist", "trainSubset": 256, "epochs": 1}""");
        List<CompletableFuture<HttpResponse<String>>> cancels = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            cancels.add(api.http.sendAsync(api.request("/api/v1/training-jobs/" + queued + "/cancel")
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()));
        }
        List<Integer> codes = new ArrayList<>();
        for (var c : cancels) {
            codes.add(c.get().statusCode());
        }
        assertThat(codes).as("20 concurrent cancels").allMatch(c -> c == 202 || c == 409).contains(202);
        assertThat(json.readTree(api.get("/api/v1/training-jobs/" + queued).body()).get("state").asString()).isEqualTo("CANCELLED");
        assertThat(api.post("/api/v1/training-jobs/" + busy + "/cancel", "").statusCode()).isEqualTo(202);
        JsonNode stopped = api.waitFor("/api/v1/training-jobs/" + busy, j -> j.get("state").asString().equals("CANCELLED"),
                Duration.ofMinutes(3));
        assertThat(stopped.get("state").asString()).isEqualTo("CANCELLED");
    }

    private String submit(String body) throws Exception {
        HttpResponse<String> r = api.post("/api/v1/training-jobs", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return json.readTree(r.body()).get("id").asString();
    }

    private void assertProblem(HttpResponse<String> r, int status, String field, String detail) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
        JsonNode p = json.readTree(r.body());
        assertThat(p.get("type").asString()).startsWith("https://robustlab.org/problems/");
        assertThat(p.get("detail").asString()).as(r.body()).contains(detail).doesNotContain("org.robustlab").doesNotContain("java.")
                .doesNotContain(dir.toString());
        if (field != null) {
            assertThat(p.get("field").asString()).as(r.body()).isEqualTo(field);
        }
        assertThat(r.body().length()).as("no long echo").isLessThan(4000);
    }

    private HttpResponse<String> upload(byte[] file, String filename, String name) throws Exception {
        String boundary = "----robustlab" + UUID.randomUUID();
        List<byte[]> parts = new ArrayList<>();
        parts.add(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        parts.add(file);
        StringBuilder fields = new StringBuilder("\r\n");
        for (String[] f : new String[][] {{"model", "small-cnn"}, {"dataset", "fashion-mnist"}, {"name", name}}) {
            if (f[1] != null) {
                fields.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"").append(f[0])
                        .append("\"\r\n\r\n").append(f[1]).append("\r\n");
            }
        }
        fields.append("--").append(boundary).append("--\r\n");
        parts.add(fields.toString().getBytes(StandardCharsets.UTF_8));
        return api.send(api.request("/api/v1/models")
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArrays(parts)).build());
    }

    /** The file with its JSON header changed by {@code change} (the data section as it was). */
    private byte[] rewriteHeader(byte[] file, Consumer<JsonNode> change) throws Exception {
        long length = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = json.readTree(new String(file, 8, (int) length, StandardCharsets.UTF_8));
        change.accept(header);
        byte[] text = json.writeValueAsBytes(header);
        byte[] out = new byte[8 + text.length + file.length - 8 - (int) length];
        ByteBuffer.wrap(out, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(text.length);
        System.arraycopy(text, 0, out, 8, text.length);
        System.arraycopy(file, 8 + (int) length, out, 8 + text.length, file.length - 8 - (int) length);
        return out;
    }

    /** The file with the first value of the first F32 tensor set to NaN. */
    private byte[] withNaN(byte[] file) throws Exception {
        long length = ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = json.readTree(new String(file, 8, (int) length, StandardCharsets.UTF_8));
        byte[] out = Arrays.copyOf(file, file.length);
        for (var e : header.properties()) {
            if (e.getValue().path("dtype").asString("").equals("F32")) {
                long at = 8 + length + e.getValue().get("data_offsets").get(0).asLong();
                ByteBuffer.wrap(out, (int) at, 4).order(ByteOrder.LITTLE_ENDIAN).putFloat(Float.NaN);
                return out;
            }
        }
        throw new IllegalStateException("no F32 tensor");
    }
}
