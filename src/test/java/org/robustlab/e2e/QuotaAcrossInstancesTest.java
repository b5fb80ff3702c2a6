package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * The per-owner limit of queued plus running jobs holds across instances: two instances on one PostgreSQL (API-only, so
 * that what they queue stays QUEUED) take 16 submissions of one owner at once, 8 each, with a limit of 3; exactly 3
 * are accepted and 13 get 429. A JVM-local lock would let each instance accept up to 3.
 */
class QuotaAcrossInstancesTest {

    private static final int LIMIT = 3;

    @Test
    void concurrentSubmissionsToTwoInstancesGetExactlyTheLimit(@TempDir Path dir) throws Exception {
        TestPostgres db = TestPostgres.create("robustlab_quota_");
        String[] settings = {"--robustlab.workers.enabled=false", "--robustlab.limits.max-active-per-owner=" + LIMIT,
                "--robustlab.limits.submissions-per-minute=1000"};
        try (Instance a = Instance.start(dir, "quota-a", db, settings); Instance b = Instance.start(dir, "quota-b", db, settings)) {
            String key = a.adminKey();
            HttpClient http = HttpClient.newHttpClient();
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Instance to = i % 2 == 0 ? a : b;
                HttpRequest request = HttpRequest.newBuilder(URI.create(to.base() + "/api/v1/training-jobs"))
                        .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("""
                                {"name": "quota-%d", "dataset": "fashion-mnist", "trainSubset": 256, "epochs": 1}""".formatted(i)))
                        .build();
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                        return http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            go.countDown();
            Map<Integer, Long> byStatus = answers.stream().map(CompletableFuture::join)
                    .collect(Collectors.groupingBy(s -> s, Collectors.counting()));
            assertThat(byStatus).as("answers by status").containsExactlyInAnyOrderEntriesOf(Map.of(202, (long) LIMIT, 429, 16L - LIMIT));
            int queued = JsonMapper.builder().build().readTree(http.send(HttpRequest.newBuilder(URI.create(b.base()
                            + "/api/v1/training-jobs?state=QUEUED")).header("Authorization", "Bearer " + key).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).get("totalElements").asInt();
            assertThat(queued).isEqualTo(LIMIT);
        }
    }
}
