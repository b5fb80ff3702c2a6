package org.robustlab.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.robustlab.config.SseStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Tells every instance when a job changes, so that event streams follow a job that another instance runs
 * without polling the database twice a second: on PostgreSQL each change is announced with {@code pg_notify}
 * and every instance LISTENs on one connection; a notification drops the job's cached view and wakes its
 * streams. On H2 (one instance) nothing is sent, and streams poll every 500 ms as before.
 */
@Component
public class JobChanges {

    static final String CHANNEL = "robustlab_job_changes";
    private static final Logger log = LoggerFactory.getLogger(JobChanges.class);

    private final DataSource dataSource;
    private final JobViewCache views;
    private final SseStreams streams;
    private final Counter received;
    private final Counter sent;
    private volatile boolean postgres;
    private volatile boolean running = true;
    private Thread listener;

    JobChanges(DataSource dataSource, JobViewCache views, SseStreams streams, MeterRegistry meters) {
        this.dataSource = dataSource;
        this.views = views;
        this.streams = streams;
        this.received = Counter.builder("robustlab.job.notifications.received")
                .description("job-change notifications received from the database (PostgreSQL LISTEN)").register(meters);
        this.sent = Counter.builder("robustlab.job.notifications.sent")
                .description("job-change notifications sent to the database (PostgreSQL NOTIFY)").register(meters);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        try (Connection c = dataSource.getConnection()) {
            postgres = c.getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL");
        } catch (SQLException e) {
            log.warn("could not tell the database's kind; job changes are polled: {}", e.getMessage());
            return;
        }
        if (!postgres) {
            return;
        }
        listener = new Thread(this::listen, "job-changes-listener");
        listener.setDaemon(true);
        listener.start();
    }

    @PreDestroy
    void stop() {
        running = false;
        if (listener != null) {
            listener.interrupt();
        }
    }

    /** Announces that the job changed (a no-op except on PostgreSQL). */
    public void changed(UUID id) {
        if (!postgres) {
            return;
        }
        try (Connection c = dataSource.getConnection(); PreparedStatement s = c.prepareStatement("select pg_notify(?, ?)")) {
            s.setString(1, CHANNEL);
            s.setString(2, id.toString());
            s.execute();
            sent.increment();
        } catch (SQLException e) {
            // the streams' safety-net poll shows the change a few seconds later
            log.debug("could not announce a change of job {}: {}", id, e.getMessage());
        }
    }

    private void listen() {
        while (running) {
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN " + CHANNEL);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                streams.notificationsActive(true);
                log.info("job changes: listening on PostgreSQL channel {}", CHANNEL);
                while (running) {
                    PGNotification[] notifications = pg.getNotifications(1000);
                    if (notifications == null) {
                        continue;
                    }
                    for (PGNotification n : notifications) {
                        received.increment();
                        try {
                            UUID id = UUID.fromString(n.getParameter());
                            views.evict(id);
                            streams.wake(id);
                        } catch (IllegalArgumentException ignored) {
                            // not one of ours
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                streams.notificationsActive(false);
                if (!running) {
                    return;
                }
                log.warn("job-change listener lost its connection ({}); retrying in 2 s, streams poll meanwhile", e.getMessage());
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }
}
