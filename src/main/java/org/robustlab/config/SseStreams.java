package org.robustlab.config;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.robustlab.problem.TooManyRequestsException;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * Server-sent event streams that cannot take the service down: each is counted against caps per resource,
 * per key and in total (past them, a 429), sends a comment as a heartbeat when idle (so a vanished client is
 * noticed at the next write and its stream released), ends after a timeout (the client reconnects), and
 * releases its place exactly once however it ends. The gauge {@code robustlab.sse.streams} counts the open ones.
 */
@Component
public class SseStreams {

    private static final long POLL_MILLIS = 500;
    /** With change notifications (PostgreSQL LISTEN/NOTIFY), a stream is woken by them and polls only as a safety net. */
    private static final long NOTIFIED_POLL_MILLIS = 5000;

    private volatile boolean notified;
    private final Map<Object, Set<Runnable>> wakers = new ConcurrentHashMap<>();

    private final RobustLabProperties.Sse config;
    private final AtomicInteger total = new AtomicInteger();
    private final Map<Object, AtomicInteger> perResource = new ConcurrentHashMap<>();
    private final Map<Object, AtomicInteger> perKey = new ConcurrentHashMap<>();
    private final ScheduledExecutorService poller = Executors.newScheduledThreadPool(2, r -> {
        Thread t = new Thread(r, "sse-poller");
        t.setDaemon(true);
        return t;
    });

    SseStreams(RobustLabProperties properties, MeterRegistry meters) {
        this.config = properties.limits().sse();
        Gauge.builder("robustlab.sse.streams", total, AtomicInteger::get).description("open server-sent event streams").register(meters);
    }

    /** Called when change notifications are up (or down again): streams then poll every 5 s instead of every 0.5 s. */
    public void notificationsActive(boolean active) {
        this.notified = active;
    }

    /** A change of {@code resource} was announced: its streams look at it now. */
    public void wake(Object resource) {
        Set<Runnable> set = wakers.get(resource);
        if (set != null) {
            for (Runnable r : set) {
                poller.execute(r);
            }
        }
    }

    /** Streams open now, on this instance. */
    public int open() {
        return total.get();
    }

    /**
     * Opens a stream on {@code resource} for {@code key} that sends {@code poll}'s value as a {@code progress}
     * event whenever its {@code change} key differs from the last one sent, and as {@code end} when {@code done}
     * holds, then closes. A 429 when a cap is reached.
     */
    public <T> SseEmitter stream(Object resource, UUID key, Supplier<T> poll, Function<T, Object> change, Predicate<T> done,
            Function<T, String> eventId) {
        AtomicInteger onResource = perResource.computeIfAbsent(resource, k -> new AtomicInteger());
        AtomicInteger onKey = perKey.computeIfAbsent(key, k -> new AtomicInteger());
        if (!reserve(total, config.maxTotal())) {
            throw new TooManyRequestsException("this instance has " + config.maxTotal() + " event streams open, the most it"
                    + " keeps (robustlab.limits.sse.max-total); poll the resource instead or try again later", 10);
        }
        if (!reserve(onResource, config.maxPerJob())) {
            total.decrementAndGet();
            throw new TooManyRequestsException(config.maxPerJob() + " event streams are open on this resource, the most it takes"
                    + " (robustlab.limits.sse.max-per-job)", 10);
        }
        if (!reserve(onKey, config.maxPerKey())) {
            total.decrementAndGet();
            onResource.decrementAndGet();
            throw new TooManyRequestsException("this key has " + config.maxPerKey() + " event streams open, the most one key may"
                    + " (robustlab.limits.sse.max-per-key); close one first", 10);
        }
        SseEmitter emitter = new SseEmitter(config.timeout().toMillis());
        AtomicBoolean released = new AtomicBoolean();
        ScheduledFuture<?>[] task = {null};
        Runnable[] waker = {null};
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                total.decrementAndGet();
                onResource.decrementAndGet();
                onKey.decrementAndGet();
                if (task[0] != null) {
                    task[0].cancel(false);
                }
                Set<Runnable> set = wakers.get(resource);
                if (set != null) {
                    set.remove(waker[0]);
                }
            }
        };
        emitter.onCompletion(release);
        emitter.onTimeout(release);
        emitter.onError(e -> release.run());
        Object[] last = {null};
        long[] lastWrite = {System.nanoTime()};
        long heartbeat = config.heartbeat().toNanos();
        Object lock = new Object();
        Runnable check = () -> {
          synchronized (lock) {
            if (released.get()) {
                return;
            }
            try {
                T now = poll.get();
                Object key2 = change.apply(now);
                boolean end = done.test(now);
                if (!Objects.equals(key2, last[0]) || end) {
                    last[0] = key2;
                    emitter.send(SseEmitter.event().name(end ? "end" : "progress").id(eventId.apply(now)).data(now));
                    lastWrite[0] = System.nanoTime();
                } else if (System.nanoTime() - lastWrite[0] >= heartbeat) {
                    emitter.send(SseEmitter.event().comment("keep-alive"));
                    lastWrite[0] = System.nanoTime();
                }
                if (end) {
                    emitter.complete();
                    release.run();
                }
            } catch (IOException | RuntimeException e) {
                // the client is gone (or the resource with it): end the stream and give its place back
                try {
                    emitter.completeWithError(e);
                } catch (RuntimeException ignored) {
                    // already completed
                }
                release.run();
            }
          }
        };
        waker[0] = check;
        wakers.computeIfAbsent(resource, k -> ConcurrentHashMap.newKeySet()).add(check);
        task[0] = poller.scheduleWithFixedDelay(check, 0, notified ? NOTIFIED_POLL_MILLIS : POLL_MILLIS, TimeUnit.MILLISECONDS);
        if (released.get()) {
            task[0].cancel(false);
        }
        return emitter;
    }

    private static boolean reserve(AtomicInteger counter, int max) {
        while (true) {
            int n = counter.get();
            if (n >= max) {
                return false;
            }
            if (counter.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }
}
