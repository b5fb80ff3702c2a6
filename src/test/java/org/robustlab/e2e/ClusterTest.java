package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.RobustLabApplication;
import org.robustlab.storage.S3ProxyServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Three instances, each a separate JVM on its own port with its own local folder, share one PostgreSQL database
 * and one S3 bucket (S3Proxy on loopback, reached only through the AWS SDK). Nine jobs are submitted across
 * them; while they run, one instance is killed with SIGKILL. Every job then ends SUCCEEDED exactly once, with no
 * two executions of a job overlapping in time; the killed instance's job resumes elsewhere from its last
 * checkpoint in the store, with the epochs redone reported; every model downloads from every instance with its
 * SHA-256; an evaluation asked of one instance runs on a model another trained; and an SSE stream opened on one
 * instance follows a job that another runs to its end.
 */
class ClusterTest {

    @TempDir
    static Path dir;
    private static final List<Node> nodes = new ArrayList<>();
    private static S3ProxyServer s3;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final JsonMapper json = JsonMapper.builder().build();
    private String key;

    /** One instance: a JVM running the service. */
    static final class Node {
        final String name;
        final int port;
        final Process process;

        Node(String name, int port, Process process) {
            this.name = name;
            this.port = port;
            this.process = process;
        }

        String base() {
            return "http://127.0.0.1:" + port;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        for (Node n : nodes) {
            n.process.destroyForcibly();
            n.process.waitFor();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void nineJobsOnThreeInstancesSurviveTheLossOfOne() throws Exception {
        long t0 = System.nanoTime();
        TestPostgres db = TestPostgres.create("robustlab_cluster_");
        s3 = new S3ProxyServer(Files.createDirectories(dir.resolve("s3")));
        Node a = start("node-a", db);
        key = Files.readString(waitForFile(dir.resolve("node-a").resolve("admin-key"))).strip();
        Node b = start("node-b", db);
        Node c = start("node-c", db);
        List<Node> cluster = List.of(a, b, c);

        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            HttpResponse<String> created = post(cluster.get(i % 3), "/api/v1/training-jobs", """
                    {"name": "cluster-%d", "dataset": "fashion-mnist", "trainSubset": 1024, "epochs": 3, "batchSize": 64,
                     "method": "arr", "attack": {"type": "fgsm", "epsilon": 0.1},
                     "validation": {"size": 100, "pgdSteps": 2}, "seed": %d}""".formatted(i, i));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
            jobs.add(json.readTree(created.body()).get("id").asString());
        }

        // an SSE stream on one instance, following a job that another instance runs
        String[] followed = new String[2];
        waitUntil(() -> {
            for (String id : jobs) {
                String runner = runningOn(a, id);
                if (runner != null && !runner.equals("node-c")) {
                    followed[0] = id;
                    followed[1] = runner;
                    return true;
                }
            }
            return false;
        }, Duration.ofMinutes(5), "a job running on node-a or node-b");
        CompletableFuture<List<String>> sse = CompletableFuture.supplyAsync(() -> events(c, followed[0]));

        // kill node-b once a job of its own has a checkpoint of its first epoch
        String[] victimJob = {null};
        waitUntil(() -> {
            for (String id : jobs) {
                if ("node-b".equals(runningOn(a, id)) && json.readTree(get(a, "/api/v1/training-jobs/" + id + "/metrics").body()).size() >= 1) {
                    victimJob[0] = id;
                    return true;
                }
            }
            return false;
        }, Duration.ofMinutes(10), "node-b to complete an epoch of a job");
        Thread.sleep(1000); // the epoch's checkpoint is in the store by now (it is uploaded before the next epoch's events)
        b.process.destroyForcibly();
        Instant killedAt = Instant.now();
        b.process.waitFor();

        for (String id : jobs) {
            JsonNode job = waitFor(a, "/api/v1/training-jobs/" + id, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED|STOPPED"),
                    Duration.ofMinutes(20));
            assertThat(job.get("state").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
            assertThat(job.get("models")).hasSize(2);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;

        // every job succeeded exactly once; no two executions of a job overlap
        Map<String, JsonNode> history = new LinkedHashMap<>();
        for (String id : jobs) {
            JsonNode executions = json.readTree(get(c, "/api/v1/training-jobs/" + id + "/executions").body());
            history.put(id, executions);
            assertThat(Stream.of(toArray(executions)).filter(e -> "SUCCEEDED".equals(e.path("outcome").asString(null))).count())
                    .as(executions.toString()).isEqualTo(1);
            Instant previousEnd = Instant.MIN;
            for (JsonNode e : executions) {
                Instant started = Instant.parse(e.get("startedAt").asString());
                assertThat(started).as("executions overlap: " + executions).isAfterOrEqualTo(previousEnd);
                previousEnd = e.has("endedAt") ? Instant.parse(e.get("endedAt").asString())
                        : e.get("instance").asString().equals("node-b") ? killedAt : Instant.MAX;
            }
        }
        // the killed instance's job resumed on another from its checkpoint, saying how many epochs it redid
        JsonNode victim = history.get(victimJob[0]);
        assertThat(victim.size()).as(victim.toString()).isGreaterThanOrEqualTo(2);
        JsonNode first = victim.get(0);
        JsonNode resumed = victim.get(victim.size() - 1);
        assertThat(first.get("instance").asString()).isEqualTo("node-b");
        assertThat(first.has("endedAt")).as("the killed execution has no end").isFalse();
        assertThat(resumed.get("instance").asString()).isIn("node-a", "node-c");
        assertThat(resumed.get("resumedFromEpoch").asInt()).as(victim.toString()).isGreaterThanOrEqualTo(1);
        assertThat(resumed.has("epochsRedone")).isTrue();
        double failover = Duration.between(killedAt, Instant.parse(resumed.get("startedAt").asString())).toMillis() / 1000.0;
        // when a live instance found the execution dead and queued it again (its log line says)
        Instant revivedAt = null;
        for (String n : List.of("node-a", "node-c")) {
            for (String line : Files.readAllLines(dir.resolve(n).resolve("service.log"))) {
                int at = line.indexOf(" revived at ");
                if (line.contains(victimJob[0]) && at > 0) {
                    Instant t = Instant.parse(line.substring(at + " revived at ".length()).strip());
                    revivedAt = revivedAt == null || t.isBefore(revivedAt) ? t : revivedAt;
                }
            }
        }
        assertThat(revivedAt).as("a 'revived at' line for job " + victimJob[0]).isNotNull();
        double detection = Duration.between(killedAt, revivedAt).toMillis() / 1000.0;
        JsonNode metrics = json.readTree(get(a, "/api/v1/training-jobs/" + victimJob[0] + "/metrics").body());
        assertThat(metrics).hasSize(3);

        // the SSE stream on node-c followed the other instance's job to its end
        List<String> seen = sse.get();
        assertThat(seen).as("events of job %s run by %s, streamed by node-c", followed[0], followed[1]).isNotEmpty().last().isEqualTo("event:end");

        // ... woken by PostgreSQL notifications of the changes the other instances made, not by polling alone
        JsonNode notifications = json.readTree(get(c, "/actuator/metrics/robustlab.job.notifications.received").body());
        assertThat(notifications.get("measurements").get(0).get("value").asDouble()).as(notifications.toString()).isGreaterThan(0);

        // node-b comes back; every model downloads from every instance with its SHA-256
        Node b2 = start("node-b", db);
        for (String id : jobs) {
            for (JsonNode m : json.readTree(get(a, "/api/v1/training-jobs/" + id).body()).get("models")) {
                String modelId = m.get("id").asString();
                JsonNode model = json.readTree(get(a, "/api/v1/models/" + modelId).body());
                for (Node n : List.of(a, b2, c)) {
                    HttpResponse<InputStream> download = http.send(request(n, "/api/v1/models/" + modelId + "/download").build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    assertThat(download.statusCode()).isEqualTo(200);
                    assertThat(sha256(download.body())).as("model %s from %s", modelId, n.name).isEqualTo(model.get("safetensorsSha256").asString());
                }
            }
        }

        // an evaluation asked of node-c, of a model trained on node-a
        String trainedOnA = null;
        for (var e : history.entrySet()) {
            for (JsonNode x : e.getValue()) {
                if ("SUCCEEDED".equals(x.path("outcome").asString(null)) && x.get("instance").asString().equals("node-a")) {
                    trainedOnA = e.getKey();
                }
            }
        }
        assertThat(trainedOnA).as("a job trained on node-a: " + history).isNotNull();
        String modelId = json.readTree(get(a, "/api/v1/training-jobs/" + trainedOnA).body()).get("models").get(0).get("id").asString();
        HttpResponse<String> eval = post(c, "/api/v1/evaluations", """
                {"modelId": "%s", "testSubset": 100, "attacks": [{"type": "pgd", "epsilon": 0.1, "steps": 3}]}""".formatted(modelId));
        assertThat(eval.statusCode()).as(eval.body()).isEqualTo(202);
        String evalId = json.readTree(eval.body()).get("id").asString();
        JsonNode evaluated = waitFor(c, "/api/v1/evaluations/" + evalId, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(5));
        assertThat(evaluated.get("state").asString()).as(evaluated.toString()).isEqualTo("SUCCEEDED");

        // an instance that is only paused (SIGSTOP) while it trains: its worker's lease runs out and it stops; the
        // job goes to another instance; when the paused one comes back, its token is no longer the job's, and it
        // writes nothing
        List<Node> live = List.of(a, b2, c);
        HttpResponse<String> tenth = post(a, "/api/v1/training-jobs", """
                {"name": "cluster-paused", "dataset": "fashion-mnist", "trainSubset": 1024, "epochs": 4, "batchSize": 64,
                 "method": "arr", "attack": {"type": "fgsm", "epsilon": 0.1},
                 "validation": {"size": 100, "pgdSteps": 2}, "seed": 10}""");
        assertThat(tenth.statusCode()).as(tenth.body()).isEqualTo(202);
        String pausedJob = json.readTree(tenth.body()).get("id").asString();
        String[] pausedName = {null};
        waitUntil(() -> {
            pausedName[0] = runningOn(a, pausedJob);
            return pausedName[0] != null && json.readTree(get(a, "/api/v1/training-jobs/" + pausedJob + "/metrics").body()).size() >= 1;
        }, Duration.ofMinutes(5), "the tenth job to complete an epoch");
        Node paused = live.stream().filter(n -> n.name.equals(pausedName[0])).findFirst().orElseThrow();
        Node other = live.stream().filter(n -> n != paused).findFirst().orElseThrow();
        signal("STOP", paused);
        Instant pausedAt = Instant.now();
        try {
            waitUntil(() -> {
                String now = runningOn(other, pausedJob);
                return now != null && !now.equals(paused.name);
            }, Duration.ofMinutes(3), "the paused instance's job to start elsewhere");
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + diagnose(db, other, pausedJob), e);
        }
        double takeover = Duration.between(pausedAt, Instant.now()).toMillis() / 1000.0;
        signal("CONT", paused);
        JsonNode tenthDone = waitFor(other, "/api/v1/training-jobs/" + pausedJob,
                j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED|STOPPED"), Duration.ofMinutes(10));
        assertThat(tenthDone.get("state").asString()).as(tenthDone.toString()).isEqualTo("SUCCEEDED");
        JsonNode tenthRuns = json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob + "/executions").body());
        assertThat(Stream.of(toArray(tenthRuns)).filter(e -> "SUCCEEDED".equals(e.path("outcome").asString(null))).count())
                .as(tenthRuns.toString()).isEqualTo(1);
        JsonNode pausedRun = tenthRuns.get(0);
        JsonNode takenOver = tenthRuns.get(1);
        assertThat(pausedRun.get("instance").asString()).isEqualTo(paused.name);
        waitUntil(() -> json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob + "/executions").body()).get(0).has("outcome"),
                Duration.ofMinutes(1), "the paused instance to close its execution");
        pausedRun = json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob + "/executions").body()).get(0);
        assertThat(pausedRun.get("outcome").asString()).as(tenthRuns.toString()).isEqualTo("FENCED");
        // the paused instance's worker had stopped before the other instance's execution started
        String workerLog = Files.readString(dir.resolve(paused.name).resolve("runs/jobs/" + pausedJob + "/worker.log"));
        java.util.regex.Matcher lease = java.util.regex.Pattern.compile("lease expired at (\\S+):").matcher(workerLog);
        assertThat(lease.find()).as(workerLog).isTrue();
        Instant workerStopped = Instant.parse(lease.group(1));
        assertThat(workerStopped).isBefore(Instant.parse(takenOver.get("startedAt").asString()));
        JsonNode tenthMetrics = json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob + "/metrics").body());
        assertThat(tenthMetrics).hasSize(4);
        System.out.printf("paused instance %s: its worker stopped %.1f s after the pause; the job started on %s %.1f s after"
                + " the pause; the paused execution ended FENCED%n", paused.name,
                Duration.between(pausedAt, workerStopped).toMillis() / 1000.0, takenOver.get("instance").asString(), takeover);

        // deleting a job on one instance removes its checkpoints and its models' files from the bucket, and the job
        // from every instance
        String doomedModel = tenthDone.get("models").get(0).get("id").asString();
        try (org.robustlab.storage.S3ObjectStore bucket = new org.robustlab.storage.S3ObjectStore(s3.settings("robustlab-cluster", ""))) {
            assertThat(bucket.list("jobs/" + pausedJob + "/")).isNotEmpty();
            assertThat(bucket.list("models/" + doomedModel + "/")).isNotEmpty();
            HttpResponse<String> deleted = http.send(request(other, "/api/v1/training-jobs/" + pausedJob).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
            assertThat(bucket.list("jobs/" + pausedJob + "/")).isEmpty();
            assertThat(bucket.list("models/" + doomedModel + "/")).isEmpty();
        }
        for (Node n : live) {
            assertThat(get(n, "/api/v1/training-jobs/" + pausedJob).statusCode()).isEqualTo(404);
        }

        System.out.printf("cluster test: 9 jobs on 3 instances, one killed: all SUCCEEDED in %.1f s; job %s of the killed instance"
                + " found dead and queued again %.1f s after the kill, started on another instance %.1f s after it"
                + " (resumed from epoch %d, %d epoch(s) redone); %.1f s in all%n", seconds, victimJob[0], detection, failover,
                resumed.get("resumedFromEpoch").asInt(), resumed.get("epochsRedone").asInt(), (System.nanoTime() - t0) / 1e9);
    }

    /** What a failed wait needs explained: the job, its executions, the database's sessions and the instances' logs. */
    private String diagnose(TestPostgres db, Node via, String job) {
        StringBuilder sb = new StringBuilder();
        try {
            sb.append("job: ").append(get(via, "/api/v1/training-jobs/" + job).body()).append('\n');
            sb.append("executions: ").append(get(via, "/api/v1/training-jobs/" + job + "/executions").body()).append('\n');
        } catch (RuntimeException e) {
            sb.append("(job not readable: ").append(e.getMessage()).append(")\n");
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(db.url(), db.user(), db.password());
                java.sql.Statement st = c.createStatement();
                java.sql.ResultSet rs = st.executeQuery("select pid, state, wait_event_type, wait_event, xact_start, left(query, 200)"
                        + " from pg_stat_activity where datname = current_database()")) {
            while (rs.next()) {
                sb.append("pg: ").append(rs.getInt(1)).append(' ').append(rs.getString(2)).append(' ').append(rs.getString(3))
                        .append(' ').append(rs.getString(4)).append(' ').append(rs.getString(5)).append(' ').append(rs.getString(6)).append('\n');
            }
            try (java.sql.ResultSet rs2 = st.executeQuery("select task_instance, picked, picked_by, last_heartbeat, version from scheduled_tasks")) {
                while (rs2.next()) {
                    sb.append("task: ").append(rs2.getString(1)).append(' ').append(rs2.getBoolean(2)).append(' ').append(rs2.getString(3))
                            .append(' ').append(rs2.getString(4)).append(' ').append(rs2.getLong(5)).append('\n');
                }
            }
        } catch (java.sql.SQLException e) {
            sb.append("(database not readable: ").append(e.getMessage()).append(")\n");
        }
        for (Node n : nodes) {
            sb.append("--- ").append(n.name).append(" (pid ").append(n.process.pid()).append(")\n")
                    .append(tail(dir.resolve(n.name).resolve("service.log"))).append('\n');
        }
        return sb.toString();
    }

    private static void signal(String signal, Node n) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(n.process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    private static JsonNode[] toArray(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list.toArray(new JsonNode[0]);
    }

    /** The instance that runs the job now, or null if it is not RUNNING. */
    private String runningOn(Node via, String id) {
        JsonNode job = json.readTree(get(via, "/api/v1/training-jobs/" + id).body());
        if (!job.get("state").asString().equals("RUNNING")) {
            return null;
        }
        JsonNode executions = json.readTree(get(via, "/api/v1/training-jobs/" + id + "/executions").body());
        if (executions.isEmpty()) {
            return null;
        }
        JsonNode last = executions.get(executions.size() - 1);
        return last.has("endedAt") ? null : last.get("instance").asString();
    }

    private List<String> events(Node n, String id) {
        try {
            HttpResponse<Stream<String>> r = http.send(request(n, "/api/v1/training-jobs/" + id + "/events").timeout(Duration.ofMinutes(20)).build(),
                    HttpResponse.BodyHandlers.ofLines());
            return r.body().filter(l -> l.startsWith("event:")).toList();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sha256(InputStream in) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        try (in) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    private Node start(String name, TestPostgres db) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path home = Files.createDirectories(dir.resolve(name));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "-cp", System.getProperty("java.class.path"), RobustLabApplication.class.getName(),
                "--server.port=" + port,
                "--spring.profiles.active=postgres",
                "--spring.datasource.url=" + db.url(),
                "--spring.datasource.username=" + db.user(),
                "--spring.datasource.password=" + db.password(),
                "--robustlab.instance-id=" + name,
                "--robustlab.runs-dir=" + home.resolve("runs"),
                "--robustlab.data-dir=" + dir.resolve("datasets"),
                "--robustlab.workers.heap=1g",
                "--robustlab.workers.threads=1",
                "--robustlab.limits.max-active-per-owner=50",
                "--robustlab.security.admin-key-file=" + home.resolve("admin-key"),
                "--robustlab.storage.type=s3",
                "--robustlab.storage.s3.bucket=robustlab-cluster",
                "--robustlab.storage.s3.endpoint=" + s3.endpoint(),
                "--robustlab.storage.s3.access-key=" + S3ProxyServer.ACCESS_KEY,
                "--robustlab.storage.s3.secret-key=" + S3ProxyServer.SECRET_KEY,
                "--robustlab.storage.s3.path-style=true",
                "--robustlab.storage.s3.create-bucket=true");
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("service.log").toFile())).start();
        Node node = new Node(name, port, p);
        nodes.add(node);
        waitUntil(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited; see " + home.resolve("service.log") + ":\n"
                        + tail(home.resolve("service.log")));
            }
            try {
                return http.send(HttpRequest.newBuilder(URI.create(node.base() + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofMinutes(3), name + " to start");
        return node;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    private static Path waitForFile(Path file) throws InterruptedException {
        for (int i = 0; i < 600 && !Files.exists(file); i++) {
            Thread.sleep(100);
        }
        return file;
    }

    interface Check {
        boolean done() throws Exception;
    }

    private static void waitUntil(Check check, Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.done()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            Thread.sleep(250);
        }
    }

    private JsonNode waitFor(Node n, String path, Predicate<JsonNode> done, Duration timeout) throws Exception {
        JsonNode[] last = {null};
        waitUntil(() -> done.test(last[0] = json.readTree(get(n, path).body())), timeout, path + " (last: " + last[0] + ")");
        return last[0];
    }

    private HttpRequest.Builder request(Node n, String path) {
        return HttpRequest.newBuilder(URI.create(n.base() + path)).header("Authorization", "Bearer " + key);
    }

    private HttpResponse<String> get(Node n, String path) {
        try {
            return http.send(request(n, path).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> post(Node n, String path, String body) throws Exception {
        return http.send(request(n, path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
