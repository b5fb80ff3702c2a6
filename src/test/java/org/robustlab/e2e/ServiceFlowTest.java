package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The service flow on the default database, H2 in a file (the test class's own); and the newer methods through HTTP. */
class ServiceFlowTest extends ServiceFlowContract {

    @Test
    void martFastAtAndNFgsmTrainThroughTheApi() throws Exception {
        List<String> bodies = List.of(
                """
                {"name": "mart", "dataset": "fashion-mnist", "trainSubset": 256, "method": "mart", "beta": 6,
                 "attack": {"type": "pgd", "epsilon": 0.1, "steps": 2}, "epochs": 1, "batchSize": 64,
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""",
                """
                {"name": "fgsm-rs", "dataset": "fashion-mnist", "trainSubset": 256, "method": "fgsm-rs",
                 "attack": {"epsilon": 0.1}, "epochs": 1, "batchSize": 64, "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""",
                """
                {"name": "n-fgsm", "dataset": "fashion-mnist", "trainSubset": 256, "method": "n-fgsm",
                 "attack": {"epsilon": 0.1, "noise": 0.2}, "epochs": 1, "batchSize": 64,
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""");
        for (String body : bodies) {
            HttpResponse<String> created = api.post("/api/v1/training-jobs", body);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
            JsonNode job = json.readTree(created.body());
            String method = json.readTree(body).get("method").asString();
            assertThat(job.get("method").asString()).isEqualTo(method);
            JsonNode done = api.waitFor("/api/v1/training-jobs/" + job.get("id").asString(),
                    j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(5));
            assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
            assertThat(done.get("models")).as(method).hasSize(2);
            JsonNode metrics = json.readTree(api.get("/api/v1/training-jobs/" + job.get("id").asString() + "/metrics").body());
            assertThat(metrics.get(0).get("loss").asDouble()).as(method).isPositive().isFinite();
            if (method.equals("mart")) {
                assertThat(metrics.get(0).get("regularizer").asDouble()).as("MART's KL term").isPositive();
            }
        }
    }
}
