package org.robustlab.security;

import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.ml.training.ComputeCost;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.TooManyRequestsException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * What one key may ask of the service (robustlab.limits.*): submissions per minute (a token bucket per key
 * on this instance), queued plus running jobs and evaluations per owner, and the estimated size of each job
 * ({@link ComputeCost}).
 */
@Component
public class Quotas {

    private final RobustLabProperties.Limits limits;
    private final Map<UUID, Bucket> buckets = new ConcurrentHashMap<>();
    private final Clock clock;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;

    Quotas(RobustLabProperties properties, Clock clock, JdbcTemplate jdbc, TransactionTemplate tx) {
        this.limits = properties.limits();
        this.clock = clock;
        this.jdbc = jdbc;
        this.tx = tx;
    }

    /**
     * Runs {@code record} (which stores a new job or evaluation of {@code owner}) unless the owner already has the
     * most queued plus running ones it may: a 429 then. The count and the new row are one transaction that holds the
     * owner's row in {@code owner_quota} locked, so that submissions of one owner take turns across every instance on
     * the database, and the limit holds however many arrive at once.
     */
    public <T> T withinActiveLimit(String owner, Supplier<T> record) {
        ensureOwnerRow(owner);
        return tx.execute(status -> {
            jdbc.query("select owner from owner_quota where owner = ? for update", (rs, i) -> rs.getString(1), owner);
            Long active = jdbc.queryForObject("select (select count(*) from training_job where owner = ? and state in ('QUEUED', 'RUNNING'))"
                    + " + (select count(*) from evaluation where owner = ? and state in ('QUEUED', 'RUNNING'))", Long.class, owner, owner);
            active(owner, active == null ? 0 : active);
            return record.get();
        });
    }

    /** The owner's lock row, made once, in a transaction of its own (two instances may race to make it: one wins). */
    private void ensureOwnerRow(String owner) {
        if (jdbc.queryForObject("select count(*) from owner_quota where owner = ?", Long.class, owner) > 0) {
            return;
        }
        try {
            tx.executeWithoutResult(status -> jdbc.update("insert into owner_quota (owner) values (?)", owner));
        } catch (DuplicateKeyException made) {
            // another submission made it first
        }
    }

    /** Takes one submission from the caller's bucket: a 429 with Retry-After when it is empty. */
    public void submission(Caller caller) {
        long now = nanos();
        Bucket bucket = buckets.computeIfAbsent(caller.keyId(), k -> new Bucket(limits.submissionsPerMinute(), now));
        long wait = bucket.take(limits.submissionsPerMinute(), now);
        if (wait > 0) {
            throw new TooManyRequestsException("at most " + limits.submissionsPerMinute() + " submissions a minute per key"
                    + " (robustlab.limits.submissions-per-minute); try again in " + wait + " s", wait);
        }
    }

    /** The clock in nanoseconds, for the buckets. */
    private long nanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /** A 429 when the owner already has the most queued plus running jobs and evaluations it may. */
    public void active(String owner, long active) {
        if (active >= limits.maxActivePerOwner()) {
            throw new TooManyRequestsException(owner + " has " + active + " queued or running jobs and evaluations, the most one owner"
                    + " may have (robustlab.limits.max-active-per-owner); wait for one to end or cancel one", 30);
        }
    }

    /** A 400 when a training job's estimated cost is over the limit. */
    public void trainingCost(double cost) {
        if (cost > limits.maxTrainingCost()) {
            throw new InvalidRequestException(null, String.format(Locale.ROOT, "this job would cost about %.2g SmallCNN image-passes,"
                    + " over this service's limit of %.2g (robustlab.limits.max-training-cost): ask for fewer epochs, images or attack"
                    + " steps, or a smaller model", cost, limits.maxTrainingCost()));
        }
    }

    /** A 400 when an evaluation's estimated cost is over the limit. */
    public void evaluationCost(double cost) {
        if (cost > limits.maxEvaluationCost()) {
            throw new InvalidRequestException(null, String.format(Locale.ROOT, "this evaluation would cost about %.2g SmallCNN"
                    + " image-passes, over this service's limit of %.2g (robustlab.limits.max-evaluation-cost): ask for fewer test"
                    + " points, attacks, steps, targets, restarts or queries", cost, limits.maxEvaluationCost()));
        }
    }

    /** A token bucket: {@code perMinute} tokens, refilled continuously. */
    private static final class Bucket {
        private double tokens;
        private long last;

        Bucket(int capacity, long now) {
            this.tokens = capacity;
            this.last = now;
        }

        /** Takes a token; returns 0, or the seconds until one is there. */
        synchronized long take(int perMinute, long now) {
            tokens = Math.min(perMinute, tokens + (now - last) / 60e9 * perMinute);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) * 60.0 / perMinute);
        }
    }
}
