package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * OIDC bearer tokens next to API keys, against the real server, with a key pair made here standing in for the
 * lab's identity provider: a signed token with a role works and names the owner, and every kind of bad token
 * (expired, signed by another key, unsigned, another issuer or audience, no role) is refused and changes nothing.
 */
class JwtTest extends RealServerTest {

    static final String ISSUER = "https://idp.example.org/realms/lab";
    static final KeyPair PROVIDER = rsa();
    static final KeyPair STRANGER = rsa();

    @DynamicPropertySource
    static void jwt(DynamicPropertyRegistry r) {
        r.add("robustlab.security.jwt.public-key-file", () -> pem(dir.resolve("idp.pem")));
        r.add("robustlab.security.jwt.issuer", () -> ISSUER);
        r.add("robustlab.security.jwt.audience", () -> "robustlab");
        r.add("robustlab.security.jwt.roles-claim", () -> "realm_access.roles");
    }

    static final String SMALL_JOB = """
            {"dataset": "fashion-mnist", "trainSubset": 5000, "epochs": 20, "method": "standard"}""";

    @Test
    void signedTokensWithARoleWorkAndEveryBadTokenIsRefused() throws Exception {
        ApiClient carol = api.withKey(token(PROVIDER, "u-1", "carol", List.of("offline_access", "researcher"), ISSUER, "robustlab", 600));
        ApiClient dave = api.withKey(token(PROVIDER, "u-2", "dave", List.of("researcher"), ISSUER, "robustlab", 600));
        ApiClient erin = api.withKey(token(PROVIDER, "u-3", "erin", List.of("viewer"), ISSUER, "robustlab", 600));
        int before = json.readTree(api.get("/api/v1/training-jobs?size=200").body()).get("content").size();

        // a researcher's token submits; the job's owner is the token's preferred_username
        HttpResponse<String> submitted = carol.post("/api/v1/training-jobs", SMALL_JOB);
        assertThat(submitted.statusCode()).as(submitted.body()).isEqualTo(202);
        JsonNode job = json.readTree(submitted.body());
        assertThat(job.get("owner").asString()).isEqualTo("carol");
        String id = job.get("id").asString();

        // another researcher may not cancel it, a viewer may not submit, the owner cancels it
        assertThat(dave.post("/api/v1/training-jobs/" + id + "/cancel", "").statusCode()).isEqualTo(403);
        assertThat(erin.get("/api/v1/training-jobs/" + id).statusCode()).isEqualTo(200);
        assertThat(erin.post("/api/v1/training-jobs", SMALL_JOB).statusCode()).isEqualTo(403);
        assertThat(carol.post("/api/v1/training-jobs/" + id + "/cancel", "").statusCode()).isEqualTo(202);
        // key management stays with admins; API keys work next to tokens
        assertThat(carol.get("/api/v1/keys").statusCode()).isEqualTo(403);
        assertThat(api.get("/api/v1/keys").statusCode()).isEqualTo(200);

        // bad tokens: 401 problem+json that says which check failed, never a 500
        Map<String, String> bad = Map.of(
                "expired", token(PROVIDER, "u-1", "carol", List.of("admin"), ISSUER, "robustlab", -120),
                "signature", token(STRANGER, "u-1", "carol", List.of("admin"), ISSUER, "robustlab", 600),
                "iss", token(PROVIDER, "u-1", "carol", List.of("admin"), "https://evil.example.org", "robustlab", 600),
                "aud", token(PROVIDER, "u-1", "carol", List.of("admin"), ISSUER, "another-service", 600),
                "unsigned", new PlainJWT(claims("u-1", "carol", List.of("admin"), ISSUER, "robustlab", 600)).serialize(),
                "garbage", "not.a.token");
        for (Map.Entry<String, String> b : bad.entrySet()) {
            ApiClient mallory = api.withKey(b.getValue());
            HttpResponse<String> refused = mallory.post("/api/v1/training-jobs", SMALL_JOB);
            assertThat(refused.statusCode()).as(b.getKey() + ": " + refused.body()).isEqualTo(401);
            JsonNode problem = json.readTree(refused.body());
            assertThat(problem.get("type").asString()).isEqualTo("https://robustlab.org/problems/unauthorized");
            assertThat(problem.get("detail").asString()).as(b.getKey()).startsWith("the bearer token was refused");
            assertThat(mallory.get("/api/v1/training-jobs").statusCode()).as(b.getKey()).isEqualTo(401);
        }
        // a valid token without a RobustLab role: 403 that says which claim to fill
        ApiClient nobody = api.withKey(token(PROVIDER, "u-9", "frank", List.of("offline_access"), ISSUER, "robustlab", 600));
        HttpResponse<String> noRole = nobody.get("/api/v1/training-jobs");
        assertThat(noRole.statusCode()).isEqualTo(403);
        assertThat(json.readTree(noRole.body()).get("detail").asString()).contains("realm_access.roles");

        // none of it added a job
        assertThat(json.readTree(api.get("/api/v1/training-jobs?size=200").body()).get("content").size()).isEqualTo(before + 1);
    }

    static String token(KeyPair signer, String subject, String username, List<String> roles, String issuer, String audience,
            int secondsValid) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("test").build(),
                claims(subject, username, roles, issuer, audience, secondsValid));
        jwt.sign(new RSASSASigner(signer.getPrivate()));
        return jwt.serialize();
    }

    static JWTClaimsSet claims(String subject, String username, List<String> roles, String issuer, String audience, int secondsValid) {
        long now = System.currentTimeMillis();
        return new JWTClaimsSet.Builder().subject(subject).issuer(issuer).audience(audience)
                .claim("preferred_username", username).claim("realm_access", Map.of("roles", roles))
                .issueTime(new Date(now - 300_000)).expirationTime(new Date(now + secondsValid * 1000L)).build();
    }

    static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String pem(Path file) {
        try {
            Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(PROVIDER.getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
            return file.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
