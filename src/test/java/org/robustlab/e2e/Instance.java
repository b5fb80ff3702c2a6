package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.List;
import org.robustlab.RobustLabApplication;

/**
 * One instance of the service in a JVM of its own, as a deployment runs it: on PostgreSQL, with its own port, runs
 * folder and log ({@code service.log} in its folder). Multi-instance tests start several on one database; a test can
 * kill one, or pause and continue it with SIGSTOP and SIGCONT.
 */
final class Instance implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    final String name;
    final int port;
    final Path home;
    final Process process;

    private Instance(String name, int port, Path home, Process process) {
        this.name = name;
        this.port = port;
        this.home = home;
        this.process = process;
    }

    /**
     * Starts instance {@code name} with its folder under {@code dir} (datasets in {@code dir/datasets}), on {@code db}
     * (null: the default embedded H2, in a file in its folder), with the admin key written to {@code dir/name/admin-key}
     * and the settings in {@code more}; returns once its health answers.
     */
    static Instance start(Path dir, String name, TestPostgres db, String... more) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path home = Files.createDirectories(dir.resolve(name));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx768m",
                "-cp", System.getProperty("java.class.path"), RobustLabApplication.class.getName(),
                "--server.port=" + port,
                "--robustlab.instance-id=" + name,
                "--robustlab.runs-dir=" + home.resolve("runs"),
                "--robustlab.data-dir=" + dir.resolve("datasets"),
                "--robustlab.workers.heap=1g",
                "--robustlab.workers.threads=1",
                "--robustlab.security.admin-key-file=" + home.resolve("admin-key")));
        if (db == null) {
            command.add("--spring.datasource.url=jdbc:h2:file:" + home.resolve("db"));
        } else {
            command.addAll(List.of("--spring.profiles.active=postgres", "--spring.datasource.url=" + db.url(),
                    "--spring.datasource.username=" + db.user(), "--spring.datasource.password=" + db.password()));
        }
        command.addAll(List.of(more));
        Process p = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("service.log").toFile())).start();
        Instance instance = new Instance(name, port, home, p);
        Waits.until(name + " to answer its health check", Duration.ofMinutes(3), () -> {
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited; its log ends:\n" + instance.logTail(40));
            }
            try {
                return HTTP.send(HttpRequest.newBuilder(URI.create(instance.base() + "/actuator/health")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (IOException e) {
                return -1;
            }
        }, status -> status == 200);
        return instance;
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    /** The admin key this instance wrote at its first start. */
    String adminKey() throws Exception {
        Path file = home.resolve("admin-key");
        Waits.until("the admin key file " + file, Duration.ofMinutes(1), () -> Files.exists(file), exists -> exists);
        return Files.readString(file).strip();
    }

    /** Sends the process a signal: STOP pauses the whole JVM (as a stalled machine would), CONT continues it. */
    void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -" + signal + " " + name).isZero();
    }

    List<String> log() throws IOException {
        return Files.readAllLines(home.resolve("service.log"));
    }

    String logTail(int lines) {
        try {
            List<String> all = log();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** The lines db-scheduler logged at ERROR level (it logs what it takes for a bug there). */
    List<String> schedulerErrors() throws IOException {
        // Spring Boot shortens logger names: com.github.kagkarlsson.scheduler.ExecutePicked shows as c.g.k.scheduler.ExecutePicked
        return log().stream().filter(l -> l.contains(" ERROR ") && l.matches(".*(com\\.github\\.kagkarlsson|c\\.g\\.k(agkarlsson)?)\\..*")).toList();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }
}
