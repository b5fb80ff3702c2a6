package org.robustlab.execution;

import java.time.Clock;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;
import org.robustlab.problem.NotFoundException;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Short transactions on the rows of one kind of job, for the supervisor and the API: each change is read, applied
 * and written in one transaction and retried when the row's version shows a concurrent write (a cancel and a
 * progress write can touch one row at once). Fencing is here, once: a fenced change writes only while its token
 * still holds the job.
 *
 * @param <J> the row: a training job or an evaluation
 */
public class ExecutionStore<J extends Executable> {

    private static final int RETRIES = 5;

    private final JobKind kind;
    private final JpaRepository<J, UUID> rows;
    private final TransactionTemplate tx;
    protected final Clock clock;

    protected ExecutionStore(JobKind kind, JpaRepository<J, UUID> rows, TransactionTemplate tx, Clock clock) {
        this.kind = kind;
        this.rows = rows;
        this.tx = tx;
        this.clock = clock;
    }

    public JobKind kind() {
        return kind;
    }

    public Optional<J> find(UUID id) {
        return rows.findById(id);
    }

    /** Applies {@code change} to the row in its own transaction; returns the saved row. */
    public J update(UUID id, Consumer<J> change) {
        for (int attempt = 0; ; attempt++) {
            try {
                J saved = tx.execute(status -> {
                    J row = rows.findById(id).orElseThrow(() -> NotFoundException.forId(kind.noun(), id));
                    change.accept(row);
                    return rows.saveAndFlush(row);
                });
                changed(id);
                return saved;
            } catch (ObjectOptimisticLockingFailureException e) {
                if (attempt >= RETRIES) {
                    throw e;
                }
            }
        }
    }

    /**
     * As {@link #update}, but only while {@code token} holds the job: otherwise {@link FencedException} and nothing
     * is written (the check and the write are one transaction, and the row's version makes a concurrent take-over
     * fail one of the two).
     */
    public J updateFenced(UUID id, String token, Consumer<J> change) {
        return update(id, row -> {
            row.execution().requireHeldBy(token, kind, id);
            change.accept(row);
        });
    }

    /** Throws {@link FencedException} unless {@code token} holds the job (a deleted job holds no token). */
    public void checkFence(UUID id, String token) {
        if (!rows.findById(id).map(r -> r.execution().isHeldBy(token)).orElse(false)) {
            throw new FencedException(kind.noun(), id);
        }
    }

    /** Ends the job. */
    public J finish(UUID id, JobState state, String reason) {
        return update(id, row -> row.execution().finish(state, reason, clock.instant()));
    }

    /** Ends the job if {@code token} still holds it; {@link FencedException} otherwise. */
    public J finishFenced(UUID id, String token, JobState state, String reason) {
        return updateFenced(id, token, row -> row.execution().finish(state, reason, clock.instant()));
    }

    /**
     * Cancels the job ({@link Execution#cancel}): a QUEUED one leaves the queue, a RUNNING one's worker is told (at
     * once on this instance; on another at its next progress write). Returns the row as it is now.
     */
    public J cancel(UUID id, JobQueue queue) {
        J row = update(id, r -> r.execution().cancel(clock.instant()));
        if (row.execution().getState() == JobState.CANCELLED) {
            queue.dequeue(kind, id);
        } else if (!row.execution().isTerminal()) {
            queue.stopWorker(kind, id);
        }
        return row;
    }

    /** Called after each committed change (a cache to drop, other instances to tell). */
    protected void changed(UUID id) {}

}
