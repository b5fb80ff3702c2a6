package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A single instance (the default: embedded H2) whose JVM stalls for 10 s mid-epoch, as a long GC pause or a starved
 * machine would: its worker stops on its 6 s lease, which is an interruption, not a failure. The job resumes from its
 * checkpoint and SUCCEEDS with one metrics row per epoch, the execution history says why the first execution ended, and
 * db-scheduler logs no error. (The cluster case, one of three instances paused for 25 s while the others are busy, is
 * in {@link ClusterTest}.)
 */
class StallTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aStalledInstanceResumesItsJobInsteadOfFailingIt(@TempDir Path dir) throws Exception {
        try (Instance node = Instance.start(dir, "solo", null)) {
            String key = node.adminKey();
            List<String> jobs = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(node.base() + "/api/v1/training-jobs"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"name": "stall-%d", "dataset": "fashion-mnist", "trainSubset": 2048, "epochs": 4, "batchSize": 64,
                                 "method": "arr", "attack": {"type": "fgsm", "epsilon": 0.1},
                                 "validation": {"size": 100, "pgdSteps": 2}, "seed": %d}""".formatted(i, i))).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
                jobs.add(json.readTree(created.body()).get("id").asString());
            }
            String stalled = jobs.get(0);
            Waits.until("job " + stalled + " mid-epoch after its first epoch", Duration.ofMinutes(5),
                    () -> read(node, key, "/api/v1/training-jobs/" + stalled).get("progress"),
                    p -> p.get("epoch").asInt() >= 2 && p.get("batch").asInt() < p.get("batches").asInt());
            node.signal("STOP");
            Thread.sleep(10_000);
            node.signal("CONT");

            for (String id : jobs) {
                JsonNode job = Waits.until("job " + id + " to end", Duration.ofMinutes(8), () -> read(node, key, "/api/v1/training-jobs/" + id),
                        j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED|STOPPED"));
                assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
                JsonNode metrics = read(node, key, "/api/v1/training-jobs/" + id + "/metrics");
                assertThat(StreamSupport.stream(metrics.spliterator(), false).map(m -> m.get("epoch").asInt()).toList())
                        .as("one metrics row per epoch of " + id).containsExactly(1, 2, 3, 4);
            }
            JsonNode executions = read(node, key, "/api/v1/training-jobs/" + stalled + "/executions");
            assertThat(executions.size()).as(executions.toString()).isGreaterThanOrEqualTo(2);
            JsonNode first = executions.get(0);
            assertThat(first.get("outcome").asString()).as(executions.toString()).isIn("INTERRUPTED", "FENCED");
            assertThat(first.get("reason").asString()).as(executions.toString()).isNotBlank();
            JsonNode last = executions.get(executions.size() - 1);
            assertThat(last.get("outcome").asString()).isEqualTo("SUCCEEDED");
            assertThat(last.get("resumedFromEpoch").asInt()).as(executions.toString()).isGreaterThanOrEqualTo(1);
            assertThat(StreamSupport.stream(executions.spliterator(), false).filter(e -> "SUCCEEDED".equals(e.path("outcome").asString(null))))
                    .hasSize(1);
            assertThat(node.schedulerErrors()).as("db-scheduler errors in the log").isEmpty();
            System.out.printf("stalled instance: job %s's first execution ended %s (%s); it resumed from epoch %d and SUCCEEDED%n",
                    stalled, first.get("outcome").asString(), first.get("reason").asString(), last.get("resumedFromEpoch").asInt());
        }
    }

    private JsonNode read(Instance node, String key, String path) throws Exception {
        return json.readTree(http.send(HttpRequest.newBuilder(URI.create(node.base() + path)).header("Authorization", "Bearer " + key).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }
}
