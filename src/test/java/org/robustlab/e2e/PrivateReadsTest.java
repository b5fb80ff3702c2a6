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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * With {@code robustlab.security.private-reads}, a researcher cannot reach another's model through an evaluation: naming it
 * as a transfer attack's surrogate is the same 404 as naming a model that does not exist, so the answer neither runs the
 * attack nor confirms that the model exists.
 */
class PrivateReadsTest extends RealServerTest {

    static byte[] model;

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
