package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * An evaluation whose instance is killed with SIGKILL halfway through its ensemble (after the ensemble's first batch of
 * two) resumes when the instance comes back: it skips what it had done and ends with the same per-example record, line
 * for line, as the same evaluation run without a stop.
 */
class EvaluationResumeTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();
    private String key;

    @Test
    void anEvaluationKilledHalfwayThroughItsEnsembleResumesToTheSameRecord(@TempDir Path dir) throws Exception {
        String evaluation;
        String model;
        String request;
        Instance first = Instance.start(dir, "solo", null);
        try {
            key = first.adminKey();
            JsonNode job = post(first, "/api/v1/training-jobs", """
                    {"name": "to-evaluate", "dataset": "fashion-mnist", "trainSubset": 1024, "epochs": 1, "batchSize": 64,
                     "method": "arr", "attack": {"type": "fgsm", "epsilon": 0.1}, "validation": {"size": 100, "pgdSteps": 2}}""");
            JsonNode trained = Waits.until("the training job to end", Duration.ofMinutes(5),
                    () -> get(first, "/api/v1/training-jobs/" + job.get("id").asString()), j -> j.get("state").asString().matches(
                            "SUCCEEDED|FAILED|CANCELLED|STOPPED"));
            assertThat(trained.get("state").asString()).as(trained.toString()).isEqualTo("SUCCEEDED");
            model = trained.get("models").get(0).get("id").asString();
            // 500 points: two batches of 250; the ensemble's units are 3 and 4 of 4
            request = """
                    {"modelId": "%s", "testSubset": 500, "seed": 4, "diagnostics": {"enabled": false},
                     "attacks": [{"type": "ensemble", "epsilon": 0.1, "steps": 10, "targets": 3, "queries": 100}]}""".formatted(model);
            evaluation = post(first, "/api/v1/evaluations", request).get("id").asString();
            Waits.until("the ensemble's first batch to be done", Duration.ofMinutes(5),
                    () -> get(first, "/api/v1/evaluations/" + evaluation), e -> e.get("percent").asDouble() >= 75);
        } finally {
            first.process.destroyForcibly();
            first.process.waitFor();
        }
        try (Instance again = Instance.start(dir, "solo", null)) {
            JsonNode resumed = Waits.until("the killed evaluation to end", Duration.ofMinutes(5), () -> get(again, "/api/v1/evaluations/"
                    + evaluation), e -> e.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"));
            assertThat(resumed.get("state").asString()).as(resumed.toString()).isEqualTo("SUCCEEDED");
            String whole = post(again, "/api/v1/evaluations", request).get("id").asString();
            JsonNode uninterrupted = Waits.until("the uninterrupted evaluation to end", Duration.ofMinutes(5),
                    () -> get(again, "/api/v1/evaluations/" + whole), e -> e.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"));
            assertThat(uninterrupted.get("state").asString()).isEqualTo("SUCCEEDED");
            String resumedRecord = text(again, "/api/v1/evaluations/" + evaluation + "/examples.csv");
            assertThat(resumedRecord.lines()).hasSize(501);
            assertThat(resumedRecord).isEqualTo(text(again, "/api/v1/evaluations/" + whole + "/examples.csv"));
            assertThat(resumed.get("report").get("worstCaseAccuracy")).isEqualTo(uninterrupted.get("report").get("worstCaseAccuracy"));
            // the second start found the first one's state and resumed from it
            String log = String.join("\n", again.log());
            assertThat(log).as("service log").doesNotContain("Indicates a bug");
            assertThat(java.nio.file.Files.readString(again.home.resolve("runs/evaluations/" + evaluation + "/worker.log")))
                    .contains("the evaluation resumes where it stopped");
        }
    }

    private JsonNode get(Instance n, String path) throws Exception {
        return json.readTree(text(n, path));
    }

    private String text(Instance n, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(n.base() + path)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private JsonNode post(Instance n, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(n.base() + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return json.readTree(r.body());
    }
}
