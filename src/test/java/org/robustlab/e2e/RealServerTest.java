package org.robustlab.e2e;

import java.net.http.HttpClient;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The real server on a random port, with real worker processes, its data and runs in a temporary
 * folder of the test class; subclasses choose the database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
abstract class RealServerTest {

    @TempDir
    static Path dir;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry r) {
        r.add("robustlab.runs-dir", () -> dir.resolve("runs").toString());
        r.add("robustlab.data-dir", () -> dir.resolve("datasets").toString());
        r.add("robustlab.workers.heap", () -> "2g");
        r.add("robustlab.workers.threads", () -> "2");
    }

    @LocalServerPort
    int port;

    ApiClient api;
    HttpClient http;
    JsonMapper json;

    @BeforeEach
    void client() {
        api = new ApiClient(port);
        http = api.http;
        json = api.json;
    }
}
