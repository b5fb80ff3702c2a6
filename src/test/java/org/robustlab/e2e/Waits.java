package org.robustlab.e2e;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.awaitility.core.ConditionTimeoutException;

/** The end-to-end tests' one wait: it polls, and fails at its deadline saying what it last saw. */
final class Waits {

    private Waits() {}

    /** Polls {@code read} until {@code done} holds; returns the value that made it hold, or fails at {@code timeout}. */
    static <T> T until(String what, Duration timeout, Callable<T> read, Predicate<T> done) {
        AtomicReference<T> last = new AtomicReference<>();
        try {
            await(what).atMost(timeout).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(300)).until(() -> {
                T value = read.call();
                last.set(value);
                return done.test(value);
            });
        } catch (ConditionTimeoutException e) {
            String seen = String.valueOf(last.get());
            throw new AssertionError("waited " + timeout + " for " + what + "; last saw: "
                    + (seen.length() > 2000 ? seen.substring(0, 2000) + "..." : seen), e);
        }
        return last.get();
    }
}
