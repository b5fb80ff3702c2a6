package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.RobustLabApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Stops the application in the middle of a job and starts it again on the same database and job
 * folder: the job resumes from its checkpoint (its first epoch is not run again) and finishes, and no
 * job is left RUNNING.
 */
class CrashRecoveryTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();
    private String key;

    @Test
    void aJobInterruptedByARestartResumesFromItsCheckpointAndFinishes(@TempDir Path dir) throws Exception {
        String jobId;
        JsonNode firstEpoch;
        try (ConfigurableApplicationContext app = start(dir)) {
            String base = base(app);
            jobId = submitJob(dir, base);
            JsonNode metrics = waitFor(base + "/api/v1/training-jobs/" + jobId + "/metrics", m -> m.size() >= 1);
            firstEpoch = metrics.get(0);
            JsonNode job = json.readTree(get(base + "/api/v1/training-jobs/" + jobId).body());
            assertThat(job.get("state").asString()).isEqualTo("RUNNING");
        }
        try (ConfigurableApplicationContext app = start(dir)) {
            String base = base(app);
            JsonNode job = waitFor(base + "/api/v1/training-jobs/" + jobId,
                    j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"));
            assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            assertThat(job.get("attempts").asInt()).isEqualTo(2);
            JsonNode metrics = json.readTree(get(base + "/api/v1/training-jobs/" + jobId + "/metrics").body());
            assertThat(metrics).hasSize(3);
            // resumed, not restarted: epoch 1 is the one the first run wrote
            assertThat(metrics.get(0).get("seconds").asDouble()).isEqualTo(firstEpoch.get("seconds").asDouble());
            JsonNode running = json.readTree(get(base + "/api/v1/training-jobs?state=RUNNING").body());
            assertThat(running.get("content")).isEmpty();
            assertThat(job.get("models")).hasSize(2);
        }
    }

    /**
     * The store on a shared folder (as a network volume would be) and each start with a new, empty local runs
     * folder, as a replacement machine would have: the job resumes from the checkpoint in the store.
     */
    @Test
    void aJobResumesOnANewMachineFromTheSharedFilesystemStore(@TempDir Path dir) throws Exception {
        String jobId;
        int firstEpochs;
        try (ConfigurableApplicationContext app = start(dir, "runs-1", "--robustlab.storage.root=" + dir.resolve("shared"))) {
            String base = base(app);
            jobId = submitJob(dir, base);
            JsonNode metrics = waitFor(base + "/api/v1/training-jobs/" + jobId + "/metrics", m -> m.size() >= 1);
            firstEpochs = metrics.size();
            // the epoch's checkpoint is in the shared store, named by a pointer written after its files
            waitForFile(dir.resolve("shared/jobs/" + jobId + "/checkpoints/last.json"));
        }
        try (ConfigurableApplicationContext app = start(dir, "runs-2", "--robustlab.storage.root=" + dir.resolve("shared"))) {
            String base = base(app);
            JsonNode job = waitFor(base + "/api/v1/training-jobs/" + jobId,
                    j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"));
            assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            JsonNode executions = json.readTree(get(base + "/api/v1/training-jobs/" + jobId + "/executions").body());
            assertThat(executions).hasSize(2);
            JsonNode resumed = executions.get(1);
            assertThat(resumed.get("resumedFromEpoch").asInt()).as(executions.toString()).isGreaterThanOrEqualTo(firstEpochs);
            assertThat(resumed.get("outcome").asString()).isEqualTo("SUCCEEDED");
            // the models are in the shared store, and download from the new machine
            for (JsonNode m : job.get("models")) {
                assertThat(dir.resolve("shared/models/" + m.get("id").asString() + "/model.safetensors")).isRegularFile();
                assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/models/" + m.get("id").asString() + "/download"))
                        .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofByteArray()).statusCode()).isEqualTo(200);
            }
        }
    }

    /** Reads the admin key the first start wrote and submits a 3-epoch ARR job; returns its id. */
    private String submitJob(Path dir, String base) throws Exception {
        key = Files.readString(dir.resolve("admin-key")).strip();
        HttpResponse<String> created = post(base + "/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "trainSubset": 1024, "epochs": 3, "batchSize": 64,
                 "method": "arr", "attack": {"type": "fgsm", "epsilon": 0.1},
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 3}""");
        assertThat(created.statusCode()).isEqualTo(202);
        return json.readTree(created.body()).get("id").asString();
    }

    private static void waitForFile(Path file) {
        Waits.until(file + " to exist", Duration.ofMinutes(1), () -> Files.exists(file), exists -> exists);
    }

    private static ConfigurableApplicationContext start(Path dir) {
        return start(dir, "runs");
    }

    private static ConfigurableApplicationContext start(Path dir, String runs, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.datasource.url=jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE",
                "--robustlab.runs-dir=" + dir.resolve(runs),
                "--robustlab.data-dir=" + dir.resolve("datasets"),
                "--robustlab.workers.heap=2g",
                "--robustlab.security.admin-key-file=" + dir.resolve("admin-key")));
        args.addAll(List.of(more));
        return new SpringApplicationBuilder(RobustLabApplication.class).run(args.toArray(new String[0]));
    }

    private static String base(ConfigurableApplicationContext app) {
        return "http://localhost:" + ((WebServerApplicationContext) app).getWebServer().getPort();
    }

    private JsonNode waitFor(String url, Predicate<JsonNode> done) {
        return Waits.until(url, Duration.ofMinutes(5), () -> json.readTree(get(url).body()), done);
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
