package org.robustlab.job;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Recently built job views, so that many clients polling one job cost one database read per
 * {@value #TTL_MILLIS} ms instead of one per request. Every write through {@link JobStore} evicts the
 * job, so this instance's own changes (progress, cancel, finish) show at once; a change made by
 * another instance sharing the database shows within {@value #TTL_MILLIS} ms.
 */
@Component
public class JobViewCache {

    static final long TTL_MILLIS = 250;
    private static final int MAX_ENTRIES = 10_000;

    private record Entry(TrainingJobView view, long builtAtNanos) {}

    private final Map<UUID, Entry> entries = new ConcurrentHashMap<>();

    TrainingJobView get(UUID id, Supplier<TrainingJobView> build) {
        long now = System.nanoTime();
        Entry e = entries.get(id);
        if (e != null && now - e.builtAtNanos() < TTL_MILLIS * 1_000_000) {
            return e.view();
        }
        TrainingJobView view = build.get();
        if (entries.size() >= MAX_ENTRIES) {
            entries.clear();
        }
        entries.put(id, new Entry(view, now));
        return view;
    }

    public void evict(UUID id) {
        entries.remove(id);
    }
}
