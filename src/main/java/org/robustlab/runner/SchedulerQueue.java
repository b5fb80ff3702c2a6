package org.robustlab.runner;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import java.time.Clock;
import java.util.UUID;
import org.robustlab.execution.JobKind;
import org.robustlab.execution.JobQueue;
import org.springframework.stereotype.Component;

/** The job queue on db-scheduler: one task instance per job, picked by whichever instance has a free slot. */
@Component
class SchedulerQueue implements JobQueue {

    private final SchedulerClient scheduler;
    private final WorkerSupervisor supervisor;

    private final Clock clock;

    SchedulerQueue(SchedulerClient scheduler, WorkerSupervisor supervisor, Clock clock) {
        this.clock = clock;
        this.scheduler = scheduler;
        this.supervisor = supervisor;
    }

    @Override
    public void queue(JobKind kind, UUID id) {
        if (scheduler.getScheduledExecution(instanceId(kind, id)).isEmpty()) {
            scheduler.schedule(SchedulerConfig.instance(kind, id), clock.instant());
        }
    }

    @Override
    public void dequeue(JobKind kind, UUID id) {
        TaskInstanceId instance = instanceId(kind, id);
        scheduler.getScheduledExecution(instance).filter(e -> !e.isPicked()).ifPresent(e -> scheduler.cancel(instance));
    }

    @Override
    public void stopWorker(JobKind kind, UUID id) {
        supervisor.cancel(id);
    }

    private static TaskInstanceId instanceId(JobKind kind, UUID id) {
        return TaskInstanceId.of(kind.taskName(), id.toString());
    }
}
