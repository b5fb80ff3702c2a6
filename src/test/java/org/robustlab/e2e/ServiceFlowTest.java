package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The service flow on the default database, H2 in a file (the test class's own); and the newer methods (MART, fast AT, N-FGSM, AWP, GradAlign) through HTTP. */
class ServiceFlowTest extends ServiceFlowContract {

    @Test
    void martFastAtNFgsmAwpAndGradAlignTrainThroughTheApi() throws Exception {
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
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""",
                """
                {"name": "pgd-at-awp", "dataset": "fashion-mnist", "trainSubset": 256, "method": "pgd-at",
                 "weightPerturbation": {"gamma": 0.01, "warmupEpochs": 0},
                 "attack": {"type": "pgd", "epsilon": 0.1, "steps": 2}, "epochs": 1, "batchSize": 64,
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""",
                """
                {"name": "trades-awp", "dataset": "fashion-mnist", "trainSubset": 256, "method": "trades", "beta": 6,
                 "weightPerturbation": {"gamma": 0.005},
                 "attack": {"type": "pgd", "epsilon": 0.1, "steps": 2}, "epochs": 1, "batchSize": 64,
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""",
                """
                {"name": "gradalign", "dataset": "fashion-mnist", "trainSubset": 256, "method": "fgsm-rs",
                 "gradAlign": {"lambda": 0.2}, "attack": {"epsilon": 0.1}, "epochs": 1, "batchSize": 64,
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 7}""");
        // the OpenAPI document describes the add-ons, so that generated clients have them
        JsonNode schemas = json.readTree(api.get("/v3/api-docs").body()).get("components").get("schemas");
        assertThat(schemas.has("WeightPerturbation")).as("AWP's schema").isTrue();
        assertThat(schemas.get("WeightPerturbation").get("properties").has("gamma")).isTrue();
        assertThat(schemas.get("GradAlign").get("properties").has("lambda")).isTrue();
        JsonNode training = schemas.get("CreateTrainingJobRequest").get("properties");
        assertThat(training.has("weightPerturbation") && training.has("gradAlign")).as(training.toString()).isTrue();
        assertThat(training.get("method").toString()).contains("mart", "fgsm-rs", "n-fgsm");
        // an add-on on a method that does not take it: 400, the field named, nothing queued
        HttpResponse<String> refused = api.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "trainSubset": 256, "method": "pgd-at", "gradAlign": {"lambda": 0.2}}""");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
        assertThat(json.readTree(refused.body()).get("field").asString()).isEqualTo("gradAlign");
        assertThat(refused.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
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
            JsonNode request = json.readTree(body);
            if (request.has("gradAlign")) {
                assertThat(metrics.get(0).get("regularizer").asDouble()).as("GradAlign's 1 - cos, in [0, 2]").isPositive()
                        .isLessThanOrEqualTo(2.0);
            }
            if (request.has("weightPerturbation")) {
                JsonNode plan = json.readTree(api.get("/api/v1/training-jobs/" + job.get("id").asString()).body());
                assertThat(plan.toString()).as("the job keeps its request").contains("weightPerturbation");
            }
        }
    }
}
