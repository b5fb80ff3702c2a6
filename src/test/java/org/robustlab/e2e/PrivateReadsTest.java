package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * With {@code robustlab.security.private-reads}, a researcher cannot reach another's model through an evaluation: naming it
 * as a transfer attack's surrogate is the same 404 as naming a model that does not exist, so the answer neither runs the
 * attack nor confirms that the model exists; the devices and the engine's health do not show another's job id; an
 * evaluation of a model the caller may no longer read is not shown.
 */
class PrivateReadsTest extends RealServerTest {

    static byte[] model;

    @Autowired
    JdbcTemplate jdbc;

    @DynamicPropertySource
    static void privateReads(DynamicPropertyRegistry r) {
        r.add("robustlab.security.private-reads", () -> "true");
    }

    @BeforeAll
    static void aModelFile() throws Exception {
        Path file = dir.resolve("model.safetensors");
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            Engine.getInstance().setRandomSeed(2);
            try (Model m = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager)) {
                Safetensors.write(m.getBlock(), file, Map.of(), 0);
            }
        }
        model = Files.readAllBytes(file);
    }

    @Test
    void anotherOwnersModelIsNoSurrogate() throws Exception {
        ApiClient alice = api.withKey(issue("alice"));
        ApiClient bob = api.withKey(issue("bob"));
        String alices = upload(alice);
        String bobs = upload(bob);
        assertThat(bob.get("/api/v1/models/" + alices).statusCode()).isEqualTo(404);

        String missing = "00000000-0000-0000-0000-000000000000";
        HttpResponse<String> notThere = bob.post("/api/v1/evaluations", transfer(bobs, missing));
        HttpResponse<String> notHis = bob.post("/api/v1/evaluations", transfer(bobs, alices));
        assertThat(notThere.statusCode()).isEqualTo(404);
        assertThat(notHis.statusCode()).as(notHis.body()).isEqualTo(404);
        JsonNode problem = json.readTree(notHis.body());
        assertThat(problem.get("type").asString()).isEqualTo(json.readTree(notThere.body()).get("type").asString());
        assertThat(problem.get("detail").asString()).isEqualTo(json.readTree(notThere.body()).get("detail").asString()
                .replace(missing, alices));
        assertThat(json.readTree(bob.get("/api/v1/evaluations").body()).get("content")).isEmpty();

        // his own model as the surrogate is accepted, and the admin may use anyone's
        assertThat(bob.post("/api/v1/evaluations", transfer(bobs, bobs)).statusCode()).isEqualTo(202);
        assertThat(api.post("/api/v1/evaluations", transfer(bobs, alices)).statusCode()).isEqualTo(202);
    }

    /** The devices and the engine's health show a job's id only to those who may read it; the slot stays visibly taken. */
    @Test
    void anotherOwnersRunningJobHasNoIdOnTheDevices() throws Exception {
        ApiClient carol = api.withKey(issue("carol"));
        ApiClient dave = api.withKey(issue("dave"));
        HttpResponse<String> submitted = carol.post("/api/v1/training-jobs", """
                {"dataset": "fashion-mnist", "trainSubset": 5000, "epochs": 20, "method": "standard"}""");
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        String job = json.readTree(submitted.body()).get("id").asString();
        try {
            api.waitFor("/api/v1/training-jobs/" + job, j -> j.get("state").asString().equals("RUNNING"), java.time.Duration.ofMinutes(3));
            assertThat(carol.get("/api/v1/devices").body()).contains(job);
            assertThat(api.get("/api/v1/devices").body()).as("an admin reads every job").contains(job);
            String seenByDave = dave.get("/api/v1/devices").body();
            assertThat(seenByDave).doesNotContain(job);
            boolean anonymousTraining = false;
            for (JsonNode j : json.readTree(seenByDave).get("cpu").get("jobs")) {
                anonymousTraining |= j.get("kind").asString().equals("training job") && (j.get("id") == null || j.get("id").isNull());
            }
            assertThat(anonymousTraining).as("the slot shows as taken by a training job without its id: %s", seenByDave).isTrue();
            HttpResponse<String> health = dave.get("/actuator/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("djlEngine").doesNotContain(job);
            assertThat(carol.get("/actuator/health").body()).contains(job);
        } finally {
            assertThat(carol.post("/api/v1/training-jobs/" + job + "/cancel", "").statusCode()).isEqualTo(202);
        }
    }

    /**
     * An evaluation made while reads were open may be of another owner's model (made here by the admin and handed to bob in
     * the database, as it would have been stored then): under private reads it is not listed, read, reported or ranked for
     * bob, so that no answer names alice's model.
     */
    @Test
    void anEvaluationOfAModelNoLongerReadableIsNotShown() throws Exception {
        ApiClient alice = api.withKey(issue("erin"));
        ApiClient bob = api.withKey(issue("frank"));
        String model = upload(alice);
        HttpResponse<String> made = api.post("/api/v1/evaluations", """
                {"modelId": "%s", "testSubset": 20, "diagnostics": {"enabled": false},
                 "attacks": [{"type": "ensemble", "epsilon": 0.1, "steps": 2, "targets": 1, "queries": 5}]}""".formatted(model));
        assertThat(made.statusCode()).as(made.body()).isEqualTo(202);
        String evaluation = json.readTree(made.body()).get("id").asString();
        api.waitFor("/api/v1/evaluations/" + evaluation, e -> e.get("state").asString().equals("SUCCEEDED"), java.time.Duration.ofMinutes(3));
        assertThat(jdbc.update("update evaluation set owner = ? where id = ?", "frank", UUID.fromString(evaluation))).isEqualTo(1);

        assertThat(bob.get("/api/v1/evaluations").body()).doesNotContain(model).doesNotContain(evaluation);
        assertThat(bob.get("/api/v1/evaluations/" + evaluation).statusCode()).isEqualTo(404);
        assertThat(bob.get("/api/v1/evaluations/" + evaluation + "/report").statusCode()).isEqualTo(404);
        assertThat(bob.get("/api/v1/evaluations/" + evaluation + "/report.html").statusCode()).isEqualTo(404);
        assertThat(bob.get("/api/v1/leaderboard").body()).doesNotContain(model);
        // the admin reads everything, the model's owner still ranks it through her own evaluations only
        assertThat(api.get("/api/v1/evaluations/" + evaluation).statusCode()).isEqualTo(200);
        assertThat(api.get("/api/v1/leaderboard").body()).contains(model);
    }

    private static String transfer(String target, String surrogate) {
        return """
                {"modelId": "%s", "testSubset": 20, "diagnostics": {"enabled": false},
                 "attacks": [{"type": "transfer", "epsilon": 0.1, "surrogateModelId": "%s"}]}""".formatted(target, surrogate);
    }

    private String upload(ApiClient owner) throws Exception {
        HttpResponse<String> r = owner.uploadModel(model, "m.safetensors", Map.of("model", "small-cnn", "dataset", "fashion-mnist"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json.readTree(r.body()).get("id").asString();
    }

    private String issue(String name) throws Exception {
        HttpResponse<String> r = api.post("/api/v1/keys", "{\"name\": \"" + name + "\", \"role\": \"researcher\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json.readTree(r.body()).get("key").asString();
    }
}
