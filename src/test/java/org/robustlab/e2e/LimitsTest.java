package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The limits one key meets, against the real server with small limits: queued plus running jobs per owner,
 * submissions per minute, the estimated cost of a job, the size of a request body, and event streams: a flood
 * of them gets 429s, and once the clients are gone every stream is released and health answers at once.
 */
class LimitsTest extends RealServerTest {

    @DynamicPropertySource
    static void limits(DynamicPropertyRegistry r) {
        r.add("robustlab.limits.max-active-per-owner", () -> "2");
        r.add("robustlab.limits.submissions-per-minute", () -> "6");
        r.add("robustlab.limits.max-json-body", () -> "64KB");
        r.add("robustlab.limits.sse.max-per-job", () -> "3");
        r.add("robustlab.limits.sse.max-per-key", () -> "5");
        r.add("robustlab.limits.sse.max-total", () -> "8");
        r.add("robustlab.limits.sse.heartbeat", () -> "1s");
    }

    static final String LONG_JOB = """
            {"dataset": "fashion-mnist", "trainSubset": 5000, "epochs": 20, "method": "standard"}""";

    @Test
    void quotasRatesCostsBodiesAndEventStreams() throws Exception {
        String a = submit(LONG_JOB);
        String b = submit(LONG_JOB);
        try {
            // a third active job of the same owner: 429, with Retry-After
            HttpResponse<String> third = api.post("/api/v1/training-jobs", LONG_JOB);
            assertThat(third.statusCode()).isEqualTo(429);
            assertThat(third.headers().firstValue("Retry-After")).isPresent();
            assertThat(json.readTree(third.body()).get("detail").asString()).contains("max-active-per-owner");

            // a job far too big to run: 400 before anything is stored
            HttpResponse<String> huge = api.post("/api/v1/training-jobs", """
                    {"dataset": "fashion-mnist", "model": "resnet18", "method": "trades", "epochs": 10000,
                     "attack": {"type": "pgd", "steps": 1000}}""");
            assertThat(huge.statusCode()).isEqualTo(400);
            assertThat(json.readTree(huge.body()).get("detail").asString()).contains("image-passes").contains("max-training-cost");

            // bodies over the limit: 413, whether their length is declared or they come in chunks
            String big = "{\"dataset\": \"fashion-mnist\", \"name\": \"" + "n".repeat(100_000) + "\"}";
            HttpResponse<String> declared = api.post("/api/v1/training-jobs", big);
            assertThat(declared.statusCode()).isEqualTo(413);
            assertThat(json.readTree(declared.body()).get("type").asString()).isEqualTo("https://robustlab.org/problems/too-large");
            HttpResponse<String> chunked = api.send(api.request("/api/v1/training-jobs").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                    .build());
            assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(413);

            // submissions per minute: six tokens, three spent above (the refused ones count too), then 429 with Retry-After
            int limited = 0;
            for (int i = 0; i < 6 && limited == 0; i++) {
                HttpResponse<String> r = api.post("/api/v1/training-jobs", LONG_JOB);
                if (r.statusCode() == 429 && r.body().contains("submissions a minute")) {
                    limited++;
                    assertThat(Integer.parseInt(r.headers().firstValue("Retry-After").orElseThrow())).isBetween(1, 60);
                }
            }
            assertThat(limited).as("a submission past the rate limit").isEqualTo(1);

            // event streams: three on one job are served, a fourth is refused
            List<Socket> served = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Socket s = openStream(a);
                assertThat(statusLine(s)).contains(" 200");
                served.add(s);
            }
            Socket fourth = openStream(a);
            assertThat(statusLine(fourth)).contains(" 429");
            fourth.close();
            assertThat(streamsOpen()).isEqualTo(3);

            // a flood of thousands more: each is answered (429) without holding anything, and health answers meanwhile
            List<Socket> flood = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                flood.add(openStream(i % 2 == 0 ? a : b));
            }
            long t0 = System.nanoTime();
            assertThat(api.withKey(null).get("/actuator/health").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            for (Socket s : Stream.concat(flood.stream(), served.stream()).toList()) {
                s.close();
            }
            // the clients are gone: the heartbeat finds out and every stream is released
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (streamsOpen() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            assertThat(streamsOpen()).as("event streams still open after their clients left").isZero();
            t0 = System.nanoTime();
            assertThat(api.withKey(null).get("/actuator/health").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
            // and new streams are served again
            Socket again = openStream(a);
            assertThat(statusLine(again)).contains(" 200");
            again.close();
        } finally {
            api.post("/api/v1/training-jobs/" + a + "/cancel", "");
            api.post("/api/v1/training-jobs/" + b + "/cancel", "");
        }
    }

    private String submit(String body) throws Exception {
        HttpResponse<String> r = api.post("/api/v1/training-jobs", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return json.readTree(r.body()).get("id").asString();
    }

    private int streamsOpen() throws Exception {
        JsonNode m = json.readTree(api.get("/actuator/metrics/robustlab.sse.streams").body());
        return (int) m.get("measurements").get(0).get("value").asDouble();
    }

    /** A raw connection asking for the job's event stream (the request only; the answer is read separately). */
    private Socket openStream(String job) throws Exception {
        Socket s = new Socket("localhost", api.uri("/").getPort());
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /api/v1/training-jobs/" + job + "/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n"
                + "Authorization: Bearer " + api.key + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private static String statusLine(Socket s) throws Exception {
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }
}
