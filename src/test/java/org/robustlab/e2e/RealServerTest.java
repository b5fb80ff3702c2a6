package org.robustlab.e2e;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real server on a random port, with real worker processes, its database, data and runs in a temporary
 * folder of the test class (a subclass may choose another database); one server per class, closed after it, so
 * no class meets another's keys or jobs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
abstract class RealServerTest {

    @TempDir
    static Path dir;

    /**
     * A subclass's database, set in its own {@code @BeforeAll} (which runs after this class's, and before the
     * context starts); null: an H2 file in the class's folder. A second registration of the same property in a
     * subclass's {@code @DynamicPropertySource} would not replace this class's, so the choice is made here.
     */
    static volatile String databaseUrl;
    static volatile String databaseUser;
    static volatile String databasePassword;

    @BeforeAll
    static void defaultDatabase() {
        databaseUrl = null;
        databaseUser = null;
        databasePassword = null;
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("robustlab.runs-dir", () -> dir.resolve("runs").toString());
        r.add("robustlab.data-dir", () -> dir.resolve("datasets").toString());
        r.add("robustlab.workers.heap", () -> "2g");
        r.add("robustlab.workers.threads", () -> "2");
        r.add("robustlab.security.admin-key-file", () -> dir.resolve("admin-key").toString());
        // never the developer's ./data database: each class starts empty, so the server issues (and writes) its admin key
        r.add("spring.datasource.url", () -> databaseUrl != null ? databaseUrl : "jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE");
        r.add("spring.datasource.username", () -> databaseUser != null ? databaseUser : "sa");
        r.add("spring.datasource.password", () -> databasePassword != null ? databasePassword : "");
    }

    @LocalServerPort
    int port;

    ApiClient api;
    HttpClient http;
    JsonMapper json;

    /** The client sends the admin key the server wrote when it was ready (waited for: it is written as the server starts). */
    @BeforeEach
    void client() throws Exception {
        Path key = dir.resolve("admin-key");
        for (int i = 0; i < 300 && !Files.exists(key); i++) {
            Thread.sleep(100);
        }
        api = new ApiClient(port, Files.readString(key).strip());
        http = api.http;
        json = api.json;
    }
}
