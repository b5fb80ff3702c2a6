package org.robustlab.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /api/v1/training-jobs/{id}} from 200 concurrent clients on loopback while a job trains
 * in its worker process. The service is started in a JVM of its own (H2 in a temporary folder), so
 * that the load generator does not share its heap, threads and garbage collector. Each client polls every {@code --interval-ms} (100 by default, so 2,000
 * requests per second in all) for {@code --warmup-seconds} (10; the service's JIT warms up, not
 * counted) and then {@code --seconds}; prints the error count and latency percentiles of the latter.
 *
 * <p>Run: {@code scripts/run-test-main org.robustlab.bench.HttpLoadBenchmark [--clients 200] [--seconds 30] [--interval-ms 100] [--warmup-seconds 10]}
 */
public final class HttpLoadBenchmark {

    public static void main(String[] args) throws Exception {
        int clients = 200;
        int seconds = 30;
        int intervalMs = 100;
        int warmupSeconds = 10;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--clients" -> clients = Integer.parseInt(args[i + 1]);
                case "--seconds" -> seconds = Integer.parseInt(args[i + 1]);
                case "--interval-ms" -> intervalMs = Integer.parseInt(args[i + 1]);
                case "--warmup-seconds" -> warmupSeconds = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Path dir = Files.createTempDirectory("robustlab-load");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        // The service runs in its own JVM, as in production; this JVM only generates load.
        Process service = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx2g",
                "-cp", System.getProperty("java.class.path"), "org.robustlab.RobustLabApplication",
                "--server.port=" + port, "--spring.datasource.url=jdbc:h2:file:" + dir.resolve("db"),
                "--robustlab.runs-dir=" + dir.resolve("runs"), "--robustlab.data-dir=" + dir.resolve("datasets"),
                "--robustlab.security.admin-key-file=" + dir.resolve("admin-key"), "--logging.level.root=WARN")
                .redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile()).start();
        try {
            String base = "http://127.0.0.1:" + port;
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            awaitHealthy(http, base, service, dir);
            String key = "Bearer " + Files.readString(dir.resolve("admin-key")).strip();
            String body = """
                    {"dataset": "fashion-mnist", "trainSubset": 20000, "epochs": 5, "method": "arr",
                     "attack": {"type": "fgsm", "epsilon": 0.1}, "seed": 1}""";
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/training-jobs")).header("Authorization", key)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String id = JsonMapper.builder().build().readTree(created.body()).get("id").asString();
            URI job = URI.create(base + "/api/v1/training-jobs/" + id);
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (System.nanoTime() < until) {
                String state = JsonMapper.builder().build().readTree(http.send(HttpRequest.newBuilder(job).header("Authorization", key).build(),
                        HttpResponse.BodyHandlers.ofString()).body()).get("state").asString();
                if (state.equals("RUNNING")) {
                    break;
                }
                Thread.sleep(100);
            }
            Thread.sleep(3000); // let the worker get into its training loop
            List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
            AtomicLong errors = new AtomicLong();
            CountDownLatch done = new CountDownLatch(clients);
            long measureFrom = System.nanoTime() + Duration.ofSeconds(warmupSeconds).toNanos();
            long end = measureFrom + Duration.ofSeconds(seconds).toNanos();
            final int interval = intervalMs;
            for (int c = 0; c < clients; c++) {
                final long offset = (long) c * interval / clients;
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(offset);
                        long next = System.nanoTime();
                        while (System.nanoTime() < end) {
                            long start = System.nanoTime();
                            try {
                                HttpResponse<String> r = http.send(HttpRequest.newBuilder(job).header("Authorization", key).timeout(Duration.ofSeconds(10)).build(),
                                        HttpResponse.BodyHandlers.ofString());
                                if (r.statusCode() != 200) {
                                    errors.incrementAndGet();
                                }
                            } catch (Exception e) {
                                errors.incrementAndGet();
                            }
                            if (start >= measureFrom) {
                                latencies.add(System.nanoTime() - start);
                            }
                            next += interval * 1_000_000L;
                            long sleep = (next - System.nanoTime()) / 1_000_000L;
                            if (sleep > 0) {
                                Thread.sleep(sleep);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        done.countDown();
                    }
                });
                t.start();
            }
            done.await();
            String state = JsonMapper.builder().build().readTree(http.send(HttpRequest.newBuilder(job).header("Authorization", key).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).get("state").asString();
            List<Long> sorted = new ArrayList<>(latencies);
            Collections.sort(sorted);
            System.out.printf(Locale.ROOT, "%n%d clients, one GET every %d ms each, %d s measured after %d s of warm-up, job state: %s%n",
                    clients, intervalMs, seconds, warmupSeconds, state);
            System.out.printf(Locale.ROOT, "requests %d (%.0f/s), errors %d%n", sorted.size(), sorted.size() / (double) seconds, errors.get());
            System.out.printf(Locale.ROOT, "latency ms: p50 %.2f, p90 %.2f, p99 %.2f, max %.2f (target p99 < 20)%n",
                    pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99), sorted.get(sorted.size() - 1) / 1e6);
            http.send(HttpRequest.newBuilder(URI.create(job + "/cancel")).header("Authorization", key).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(2000);
        } finally {
            service.destroy();
            service.waitFor();
        }
    }

    private static void awaitHealthy(HttpClient http, String base, Process service, Path dir) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            if (!service.isAlive()) {
                throw new IllegalStateException("the service exited; see " + dir.resolve("service.log"));
            }
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the service did not become healthy in 2 minutes; see " + dir.resolve("service.log"));
    }

    private static double pct(List<Long> sorted, double p) {
        return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1)) / 1e6;
    }
}
