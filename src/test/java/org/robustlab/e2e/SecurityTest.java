package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.RobustLabApplication;
import org.robustlab.security.KeysCommand;
import tools.jackson.databind.JsonNode;

/**
 * Who may do what, against the real server: no key or a wrong key is a 401 that changes nothing, a
 * viewer reads but does not submit, a researcher cancels only its own jobs, admins manage keys, a revoked
 * key stops working, health stays public (without details), metrics need a key, and the first admin key
 * was written to a file only its owner can read.
 */
class SecurityTest extends RealServerTest {

    static final String SMALL_JOB = """
            {"dataset": "fashion-mnist", "trainSubset": 5000, "epochs": 20, "method": "standard"}""";

    @Test
    void keysRolesAndOwners() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("admin-key")))).isEqualTo("rw-------");
        ApiClient anonymous = api.withKey(null);
        ApiClient wrong = api.withKey("rlk_" + "x".repeat(43));
        int before = json.readTree(api.get("/api/v1/training-jobs?size=200").body()).get("content").size();

        // no key, a wrong key: 401 problem+json, and nothing changes
        for (ApiClient c : new ApiClient[] {anonymous, wrong}) {
            HttpResponse<String> list = c.get("/api/v1/training-jobs");
            assertThat(list.statusCode()).isEqualTo(401);
            assertThat(list.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
            assertThat(list.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(json.readTree(list.body()).get("type").asString()).isEqualTo("https://robustlab.org/problems/unauthorized");
            assertThat(c.post("/api/v1/training-jobs", SMALL_JOB).statusCode()).isEqualTo(401);
            assertThat(c.get("/actuator/prometheus").statusCode()).isEqualTo(401);
            assertThat(c.post("/api/v1/keys", "{\"name\": \"mallory\", \"role\": \"admin\"}").statusCode()).isEqualTo(401);
        }
        assertThat(json.readTree(api.get("/api/v1/training-jobs?size=200").body()).get("content").size()).isEqualTo(before);

        // health is public, its details need a key; the OpenAPI document is public and offers both ways to send a key
        JsonNode publicHealth = json.readTree(anonymous.get("/actuator/health").body());
        assertThat(publicHealth.get("status").asString()).isEqualTo("UP");
        assertThat(publicHealth.has("components")).isFalse();
        assertThat(json.readTree(api.get("/actuator/health").body()).get("components").get("djlEngine").get("details")
                .get("engine").get("folder").asString()).isNotBlank();
        JsonNode docs = json.readTree(anonymous.get("/v3/api-docs").body());
        assertThat(docs.get("components").get("securitySchemes").has("bearer")).isTrue();
        assertThat(docs.get("components").get("securitySchemes").get("apiKey").get("name").asString()).isEqualTo("X-API-Key");
        // the comparison's JSON answer has its schema alone, so that generated clients type it (its page is another operation)
        JsonNode comparison = docs.get("paths").get("/api/v1/comparisons").get("post").get("responses").get("200").get("content");
        assertThat(comparison.propertyNames()).containsExactly("application/json");
        assertThat(comparison.get("application/json").get("schema").get("$ref").asString()).endsWith("/Comparison");

        // the admin issues keys; the secret is shown once and is never listed
        ApiClient alice = api.withKey(issue("alice", "researcher"));
        ApiClient bob = api.withKey(issue("bob", "researcher"));
        ApiClient carol = api.withKey(issue("carol", "viewer"));
        assertThat(api.get("/api/v1/keys").body()).doesNotContain(alice.key).contains("\"name\":\"alice\"");
        assertThat(bob.get("/api/v1/keys").statusCode()).isEqualTo(403);
        assertThat(carol.post("/api/v1/keys", "{\"name\": \"x\", \"role\": \"admin\"}").statusCode()).isEqualTo(403);
        assertThat(api.post("/api/v1/keys", "{\"name\": \"x\", \"role\": \"root\"}").statusCode()).isEqualTo(400);

        // a viewer reads but does not submit; X-API-Key works as well as Bearer
        assertThat(carol.get("/api/v1/training-jobs").statusCode()).isEqualTo(200);
        HttpResponse<String> carolSubmits = carol.post("/api/v1/training-jobs", SMALL_JOB);
        assertThat(carolSubmits.statusCode()).isEqualTo(403);
        assertThat(json.readTree(carolSubmits.body()).get("type").asString()).isEqualTo("https://robustlab.org/problems/forbidden");
        assertThat(carol.get("/actuator/prometheus").statusCode()).isEqualTo(200);
        HttpResponse<String> viaHeader = api.send(api.withKey(null).request("/api/v1/datasets").header("X-API-Key", carol.key).build());
        assertThat(viaHeader.statusCode()).isEqualTo(200);

        // alice's job is alice's: bob may not cancel it, alice may
        HttpResponse<String> submitted = alice.post("/api/v1/training-jobs", SMALL_JOB);
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        JsonNode job = json.readTree(submitted.body());
        String id = job.get("id").asString();
        assertThat(job.get("owner").asString()).isEqualTo("alice");
        assertThat(json.readTree(bob.get("/api/v1/training-jobs?owner=alice").body()).get("content")).hasSize(1);
        HttpResponse<String> bobCancels = bob.post("/api/v1/training-jobs/" + id + "/cancel", "");
        assertThat(bobCancels.statusCode()).isEqualTo(403);
        assertThat(json.readTree(bobCancels.body()).get("detail").asString()).contains("belongs to alice");
        assertThat(carol.post("/api/v1/training-jobs/" + id + "/cancel", "").statusCode()).isEqualTo(403);
        assertThat(json.readTree(bob.get("/api/v1/training-jobs/" + id).body()).get("state").asString()).isNotEqualTo("CANCELLED");
        assertThat(alice.post("/api/v1/training-jobs/" + id + "/cancel", "").statusCode()).isEqualTo(202);
        JsonNode cancelled = api.waitFor("/api/v1/training-jobs/" + id, j -> j.get("state").asString().equals("CANCELLED"),
                Duration.ofMinutes(3));
        assertThat(cancelled.get("state").asString()).isEqualTo("CANCELLED");

        // a revoked key stops working; the last admin key cannot be revoked
        JsonNode keys = json.readTree(api.get("/api/v1/keys").body());
        String bobId = null;
        String adminId = null;
        for (JsonNode k : keys) {
            if (k.get("name").asString().equals("bob")) {
                bobId = k.get("id").asString();
            }
            if (k.get("role").asString().equals("admin")) {
                adminId = k.get("id").asString();
            }
        }
        assertThat(api.delete("/api/v1/keys/" + bobId).statusCode()).isEqualTo(200);
        assertThat(bob.get("/api/v1/training-jobs").statusCode()).isEqualTo(401);
        assertThat(api.delete("/api/v1/keys/" + adminId).statusCode()).isEqualTo(409);
        assertThat(api.get("/api/v1/training-jobs").statusCode()).isEqualTo(200);
    }

    /** {@code keys create} on the command line issues a key the running server accepts. */
    @Test
    void keysCanBeIssuedOnTheCommandLine() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = KeysCommand.run(RobustLabApplication.class, new String[] {"keys", "create", "--name", "dave", "--role", "viewer",
                "--spring.datasource.url=jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE",
                "--robustlab.runs-dir=" + dir.resolve("runs"), "--robustlab.data-dir=" + dir.resolve("datasets"),
                "--robustlab.security.admin-key-file=" + dir.resolve("admin-key")},
                new PrintStream(out, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isZero();
        String key = printed.lines().findFirst().orElseThrow().strip();
        assertThat(key).startsWith("rlk_");
        ApiClient dave = api.withKey(key);
        assertThat(dave.get("/api/v1/datasets").statusCode()).isEqualTo(200);
        assertThat(dave.post("/api/v1/training-jobs", SMALL_JOB).statusCode()).isEqualTo(403);
    }

    /** /signin keeps the key in a cookie that reads pages but can change nothing; it redirects only within this site. */
    @Test
    void aBrowserSignsInWithACookieThatOnlyReads() throws Exception {
        HttpResponse<String> form = api.withKey(null).get("/signin?next=/api/v1/datasets");
        assertThat(form.statusCode()).isEqualTo(200);
        assertThat(form.body()).contains("<form").contains("type=\"password\"");
        HttpResponse<String> signedIn = signIn(api.key, "/api/v1/datasets");
        assertThat(signedIn.statusCode()).isEqualTo(303);
        assertThat(signedIn.headers().firstValue("Location")).hasValue("/api/v1/datasets");
        String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).contains("HttpOnly").contains("SameSite=Strict");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        ApiClient browser = api.withKey(null);
        assertThat(api.send(browser.request("/api/v1/datasets").header("Cookie", cookie).build()).statusCode()).isEqualTo(200);
        assertThat(api.send(browser.request("/api/v1/training-jobs").header("Cookie", cookie).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(SMALL_JOB)).build())
                .statusCode()).as("the cookie cannot change anything").isEqualTo(401);
        // the dashboard's own script adds its header, which another site cannot (it needs a CORS preflight, never granted)
        HttpResponse<String> fromDashboard = api.send(browser.request("/api/v1/training-jobs").header("Cookie", cookie)
                .header("X-RobustLab-Dashboard", "1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(SMALL_JOB)).build());
        assertThat(fromDashboard.statusCode()).as(fromDashboard.body()).isEqualTo(202);
        assertThat(api.post("/api/v1/training-jobs/" + json.readTree(fromDashboard.body()).get("id").asString() + "/cancel", "")
                .statusCode()).isEqualTo(202);
        HttpResponse<String> preflight = http.send(browser.request("/api/v1/training-jobs").header("Origin", "https://elsewhere.example")
                .header("Access-Control-Request-Method", "POST").header("Access-Control-Request-Headers", "x-robustlab-dashboard")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).as("no site is allowed to send the header").isEmpty();
        assertThat(api.send(browser.request("/api/v1/training-jobs").header("X-RobustLab-Dashboard", "1").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(SMALL_JOB)).build()).statusCode())
                .as("the header alone is no key").isEqualTo(401);
        HttpResponse<String> signedOut = api.send(browser.request("/signout").header("Cookie", cookie)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(signedOut.statusCode()).isEqualTo(303);
        assertThat(signedOut.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        // the dashboard itself is public (it holds no data); what it shows comes from the API with the key
        HttpResponse<String> dashboard = browser.get("/");
        assertThat(dashboard.statusCode()).isEqualTo(200);
        assertThat(dashboard.body()).contains("/dashboard/app.js").doesNotContain("http://").doesNotContain("https://");
        assertThat(signIn("rlk_wrong", "/").statusCode()).isEqualTo(401);
        assertThat(signIn(api.key, "https://elsewhere.example/").headers().firstValue("Location")).hasValue("/");
        assertThat(signIn(api.key, "//elsewhere.example/").headers().firstValue("Location")).hasValue("/");
        // a next that no Location header can carry is the start page, never a 500
        for (String bad : List.of(" ", "\t", "\n", "\"", "<", "%zz", "{}", "|")) {
            HttpResponse<String> r = signIn(api.key, "/api/v1/datasets" + bad + "x");
            assertThat(r.statusCode()).as("next with %s", bad).isEqualTo(303);
            assertThat(r.headers().firstValue("Location")).as("next with %s", bad).hasValue("/");
        }
        // login CSRF: a form posted from another site's page signs nobody in
        HttpResponse<String> foreign = signIn(api.key, "/", "Origin", "https://elsewhere.example");
        assertThat(foreign.statusCode()).isEqualTo(403);
        assertThat(foreign.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(json.readTree(foreign.body()).get("detail").asString()).contains("another site");
        assertThat(signIn(api.key, "/", "Sec-Fetch-Site", "cross-site").statusCode()).isEqualTo(403);
        assertThat(signIn(api.key, "/", "Origin", "http://localhost:" + port).statusCode()).isEqualTo(303);
        assertThat(signIn(api.key, "/", "Sec-Fetch-Site", "same-origin").statusCode()).isEqualTo(303);
    }

    private HttpResponse<String> signIn(String key, String next, String... headers) throws Exception {
        String form = "key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&next="
                + URLEncoder.encode(next, StandardCharsets.UTF_8);
        HttpRequest.Builder request = api.withKey(null).request("/signin").header("Content-Type", "application/x-www-form-urlencoded");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return api.send(request.POST(HttpRequest.BodyPublishers.ofString(form)).build());
    }

    private String issue(String name, String role) throws Exception {
        HttpResponse<String> r = api.post("/api/v1/keys", "{\"name\": \"" + name + "\", \"role\": \"" + role + "\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return json.readTree(r.body()).get("key").asString();
    }
}
