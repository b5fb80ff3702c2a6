package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.storage.S3ObjectStore;
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
    private static final List<Instance> nodes = new ArrayList<>();
    private static S3ProxyServer s3;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final JsonMapper json = JsonMapper.builder().build();
    private String key;

    @AfterAll
    static void stop() throws Exception {
        for (Instance n : nodes) {
            n.close();
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
        Instance a = start("node-a", db);
        key = a.adminKey();
        Instance b = start("node-b", db);
        Instance c = start("node-c", db);
        List<Instance> cluster = List.of(a, b, c);

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
        Instance b2 = start("node-b", db);
        for (String id : jobs) {
            for (JsonNode m : json.readTree(get(a, "/api/v1/training-jobs/" + id).body()).get("models")) {
                String modelId = m.get("id").asString();
                JsonNode model = json.readTree(get(a, "/api/v1/models/" + modelId).body());
                for (Instance n : List.of(a, b2, c)) {
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

        // an instance that is only paused (SIGSTOP, as a stalled machine) for 25 s mid-epoch while the other two are busy
        // with jobs of their own: its worker stops on its lease, which is an interruption, never a failure; the job
        // resumes from its checkpoint (elsewhere, or here once the instance continues), exactly one execution writes
        // at a time, every job SUCCEEDS with one metrics row per epoch, and db-scheduler logs no error anywhere
        List<Instance> live = List.of(a, b2, c);
        List<String> busy = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> created = post(live.get(i), "/api/v1/training-jobs", """
                    {"name": "cluster-paused-%d", "dataset": "fashion-mnist", "trainSubset": 1024, "epochs": 5, "batchSize": 64,
                     "method": "arr", "attack": {"type": "fgsm", "epsilon": 0.1},
                     "validation": {"size": 100, "pgdSteps": 2}, "seed": %d}""".formatted(i, 10 + i));
            assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
            busy.add(json.readTree(created.body()).get("id").asString());
        }
        String[] pausedJobOn = {null, null};
        waitUntil(() -> {
            Map<String, String> on = new LinkedHashMap<>();
            for (String id : busy) {
                String runner = runningOn(a, id);
                if (runner != null) {
                    on.put(runner, id);
                }
            }
            if (on.size() < 3) {
                return false;
            }
            for (var e : on.entrySet()) {
                JsonNode job = json.readTree(get(a, "/api/v1/training-jobs/" + e.getValue()).body());
                JsonNode progress = job.get("progress");
                if (progress.get("epoch").asInt() >= 2 && progress.get("batch").asInt() < progress.get("batches").asInt()) {
                    pausedJobOn[0] = e.getValue();
                    pausedJobOn[1] = e.getKey();
                    return true;
                }
            }
            return false;
        }, Duration.ofMinutes(8), "all three instances busy, one of them mid-epoch after its first epoch");
        String pausedJob = pausedJobOn[0];
        Instance paused = live.stream().filter(n -> n.name.equals(pausedJobOn[1])).findFirst().orElseThrow();
        Instance other = live.stream().filter(n -> n != paused).findFirst().orElseThrow();
        paused.signal("STOP");
        Instant pausedAt = Instant.now();
        Thread.sleep(25_000);
        paused.signal("CONT");
        for (String id : busy) {
            JsonNode job = waitFor(other, "/api/v1/training-jobs/" + id,
                    j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED|STOPPED"), Duration.ofMinutes(10));
            assertThat(job.get("state").asString()).as(job + "\n" + diagnose(db, other, id)).isEqualTo("SUCCEEDED");
            JsonNode epochs = json.readTree(get(other, "/api/v1/training-jobs/" + id + "/metrics").body());
            assertThat(Stream.of(toArray(epochs)).map(m -> m.get("epoch").asInt()).toList()).as("one metrics row per epoch of " + id)
                    .containsExactly(1, 2, 3, 4, 5);
        }
        JsonNode tenthDone = json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob).body());
        waitUntil(() -> Stream.of(toArray(json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob + "/executions").body())))
                .allMatch(e -> e.has("outcome")), Duration.ofMinutes(1), "every execution of the paused job to be closed");
        JsonNode pausedRuns = json.readTree(get(other, "/api/v1/training-jobs/" + pausedJob + "/executions").body());
        assertThat(Stream.of(toArray(pausedRuns)).filter(e -> "SUCCEEDED".equals(e.path("outcome").asString(null))).count())
                .as(pausedRuns.toString()).isEqualTo(1);
        JsonNode pausedRun = pausedRuns.get(0);
        JsonNode resumedRun = pausedRuns.get(pausedRuns.size() - 1);
        assertThat(pausedRun.get("instance").asString()).isEqualTo(paused.name);
        assertThat(pausedRun.get("outcome").asString()).as(pausedRuns.toString()).isIn("INTERRUPTED", "FENCED");
        assertThat(pausedRun.get("reason").asString()).as(pausedRuns.toString()).isNotBlank();
        assertThat(resumedRun.get("resumedFromEpoch").asInt()).as(pausedRuns.toString()).isGreaterThanOrEqualTo(1);
        // the paused instance's worker had stopped before any later execution started
        String workerLog = Files.readString(paused.home.resolve("runs/jobs/" + pausedJob + "/worker.log"));
        Matcher lease = Pattern.compile("lease expired at (\\S+):").matcher(workerLog);
        assertThat(lease.find()).as(workerLog).isTrue();
        Instant workerStopped = Instant.parse(lease.group(1));
        assertThat(workerStopped).isBefore(Instant.parse(pausedRuns.get(1).get("startedAt").asString()));
        for (Instance n : live) {
            assertThat(n.schedulerErrors()).as("db-scheduler errors in the log of " + n.name).isEmpty();
        }
        System.out.printf("paused instance %s for 25 s while the others were busy: its worker stopped %.1f s after the pause; the"
                + " paused execution ended %s; the job resumed on %s from epoch %d; all three jobs SUCCEEDED, 5 epochs each%n", paused.name,
                Duration.between(pausedAt, workerStopped).toMillis() / 1000.0, pausedRun.get("outcome").asString(),
                resumedRun.get("instance").asString(), resumedRun.get("resumedFromEpoch").asInt());

        // deleting a job on one instance removes its checkpoints and its models' files from the bucket, and the job
        // from every instance
        String doomedModel = tenthDone.get("models").get(0).get("id").asString();
        try (S3ObjectStore bucket = new S3ObjectStore(s3.settings("robustlab-cluster", ""))) {
            assertThat(bucket.list("jobs/" + pausedJob + "/")).isNotEmpty();
            assertThat(bucket.list("models/" + doomedModel + "/")).isNotEmpty();
            HttpResponse<String> deleted = http.send(request(other, "/api/v1/training-jobs/" + pausedJob).DELETE().build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
            assertThat(bucket.list("jobs/" + pausedJob + "/")).isEmpty();
            assertThat(bucket.list("models/" + doomedModel + "/")).isEmpty();
        }
        for (Instance n : live) {
            assertThat(get(n, "/api/v1/training-jobs/" + pausedJob).statusCode()).isEqualTo(404);
        }

        System.out.printf("cluster test: 9 jobs on 3 instances, one killed: all SUCCEEDED in %.1f s; job %s of the killed instance"
                + " found dead and queued again %.1f s after the kill, started on another instance %.1f s after it"
                + " (resumed from epoch %d, %d epoch(s) redone); %.1f s in all%n", seconds, victimJob[0], detection, failover,
                resumed.get("resumedFromEpoch").asInt(), resumed.get("epochsRedone").asInt(), (System.nanoTime() - t0) / 1e9);
    }

    /** What a failed wait needs explained: the job, its executions, the database's sessions and the instances' logs. */
    private String diagnose(TestPostgres db, Instance via, String job) {
        StringBuilder sb = new StringBuilder();
        try {
            sb.append("job: ").append(get(via, "/api/v1/training-jobs/" + job).body()).append('\n');
            sb.append("executions: ").append(get(via, "/api/v1/training-jobs/" + job + "/executions").body()).append('\n');
        } catch (RuntimeException e) {
            sb.append("(job not readable: ").append(e.getMessage()).append(")\n");
        }
        try (Connection c = DriverManager.getConnection(db.url(), db.user(), db.password());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select pid, state, wait_event_type, wait_event, xact_start, left(query, 200)"
                        + " from pg_stat_activity where datname = current_database()")) {
            while (rs.next()) {
                sb.append("pg: ").append(rs.getInt(1)).append(' ').append(rs.getString(2)).append(' ').append(rs.getString(3))
                        .append(' ').append(rs.getString(4)).append(' ').append(rs.getString(5)).append(' ').append(rs.getString(6)).append('\n');
            }
            try (ResultSet rs2 = st.executeQuery("select task_instance, picked, picked_by, last_heartbeat, version from scheduled_tasks")) {
                while (rs2.next()) {
                    sb.append("task: ").append(rs2.getString(1)).append(' ').append(rs2.getBoolean(2)).append(' ').append(rs2.getString(3))
                            .append(' ').append(rs2.getString(4)).append(' ').append(rs2.getLong(5)).append('\n');
                }
            }
        } catch (SQLException e) {
            sb.append("(database not readable: ").append(e.getMessage()).append(")\n");
        }
        for (Instance n : nodes) {
            sb.append("--- ").append(n.name).append(" (pid ").append(n.process.pid()).append(")\n").append(n.logTail(40)).append('\n');
        }
        return sb.toString();
    }

    private static JsonNode[] toArray(JsonNode array) {
        List<JsonNode> list = new ArrayList<>();
        array.forEach(list::add);
        return list.toArray(new JsonNode[0]);
    }

    /** The instance that runs the job now, or null if it is not RUNNING. */
    private String runningOn(Instance via, String id) {
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

    private List<String> events(Instance n, String id) {
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

    private Instance start(String name, TestPostgres db) throws Exception {
        Instance instance = Instance.start(dir, name, db,
                "--robustlab.limits.max-active-per-owner=50",
                "--robustlab.storage.type=s3",
                "--robustlab.storage.s3.bucket=robustlab-cluster",
                "--robustlab.storage.s3.endpoint=" + s3.endpoint(),
                "--robustlab.storage.s3.access-key=" + S3ProxyServer.ACCESS_KEY,
                "--robustlab.storage.s3.secret-key=" + S3ProxyServer.SECRET_KEY,
                "--robustlab.storage.s3.path-style=true",
                "--robustlab.storage.s3.create-bucket=true");
        nodes.add(instance);
        return instance;
    }

    private static void waitUntil(Callable<Boolean> check, Duration timeout, String what) {
        Waits.until(what, timeout, check, done -> done);
    }

    private JsonNode waitFor(Instance n, String path, Predicate<JsonNode> done, Duration timeout) {
        return Waits.until(path + " on " + n.name, timeout, () -> json.readTree(get(n, path).body()), done);
    }

    private HttpRequest.Builder request(Instance n, String path) {
        return HttpRequest.newBuilder(URI.create(n.base() + path)).header("Authorization", "Bearer " + key);
    }

    private HttpResponse<String> get(Instance n, String path) {
        try {
            return http.send(request(n, path).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpResponse<String> post(Instance n, String path, String body) throws Exception {
        return http.send(request(n, path).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
