package org.robustlab.runner;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.DeadExecutionHandler;
import com.github.kagkarlsson.scheduler.task.ExecutionComplete;
import com.github.kagkarlsson.scheduler.task.ExecutionOperations;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.TaskInstance;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.device.DevicePool;
import org.robustlab.execution.JobKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * Jobs are queued in the database through db-scheduler, which already lets several instances on one
 * PostgreSQL share the work. Each instance runs as many jobs at once as it has device slots. A job
 * whose instance died is found by its stale heartbeat and started again (it resumes from its checkpoint);
 * a job whose worker was interrupted (a paused service, a shutdown) is queued again at once by its own execution.
 */
@Configuration
public class SchedulerConfig {

    private static final Logger log = LoggerFactory.getLogger(SchedulerConfig.class);

    /** How often a running instance renews its executions in the database. */
    public static final Duration HEARTBEAT = Duration.ofSeconds(2);
    /** Missed heartbeats after which an instance's executions are declared dead and revived elsewhere (10 s). */
    public static final int MISSED_HEARTBEATS = 5;
    /**
     * A worker stops by itself when its service has been silent this long: less than the 10 s after which the
     * service's jobs go to another instance, so that a paused instance's worker is gone before its job restarts.
     */
    public static final int WORKER_LEASE_SECONDS = 6;
    /** A scheduler entry whose execution failed outside the supervisor (the database was away) is tried again after this. */
    private static final Duration RETRY = Duration.ofSeconds(10);

    /** The scheduler entry of a job or evaluation. */
    static TaskInstance<String> instance(JobKind kind, UUID id) {
        return new TaskInstance<>(kind.taskName(), id.toString(), id.toString());
    }

    @Bean
    Task<String> trainingTask(WorkerSupervisor supervisor, TrainingWork work, Clock clock) {
        return task(JobKind.TRAINING, id -> supervisor.run(work, id), clock);
    }

    @Bean
    Task<String> evaluationTask(WorkerSupervisor supervisor, EvaluationWork work, Clock clock) {
        return task(JobKind.EVALUATION, id -> supervisor.run(work, id), clock);
    }

    /** Something that runs one job to its end or to an interruption, by id. */
    interface JobHandler {
        WorkerSupervisor.Next run(UUID id) throws InterruptedException;
    }

    private static Task<String> task(JobKind kind, JobHandler handler, Clock clock) {
        return Tasks.custom(kind.taskName(), String.class)
                .onDeadExecution(new Revive<String>(kind, clock))
                .onFailure(new FailureHandler.OnFailureRetryLater<>(RETRY))
                .execute((instance, context) -> {
                    WorkerSupervisor.Next next;
                    try {
                        next = handler.run(UUID.fromString(instance.getData()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        next = WorkerSupervisor.Next.RESUME;
                    }
                    return new Complete<String>(kind, clock, next);
                });
    }

    /**
     * An execution has returned. A job that ended loses its entry; an interrupted one's entry is due again now, for
     * any instance with a free slot. If the entry changed meanwhile (this instance was paused, and another found it
     * dead and queued it again), it is left as it is: that execution finds the job ended, or resumes it.
     */
    private record Complete<T>(JobKind kind, Clock clock, WorkerSupervisor.Next next) implements CompletionHandler<T> {
        @Override
        public void complete(ExecutionComplete complete, ExecutionOperations<T> operations) {
            String id = complete.getExecution().taskInstance.getId();
            try {
                if (next == WorkerSupervisor.Next.RESUME) {
                    operations.reschedule(complete, clock.instant());
                    log.info("{} {} queued again to resume", kind.noun(), id);
                } else {
                    operations.remove();
                }
            } catch (RuntimeException changed) {
                log.info("{} {}: its scheduler entry was queued again meanwhile; left to that execution", kind.noun(), id);
            }
        }
    }

    /** An instance's execution whose heartbeat went stale: the job is queued again for any instance (the failover's first step). */
    private record Revive<T>(JobKind kind, Clock clock) implements DeadExecutionHandler<T> {
        @Override
        public void deadExecution(ExecutionComplete complete, ExecutionOperations<T> operations) {
            var e = complete.getExecution();
            // logged with its times
            log.warn("{} {} of dead instance {} (last heartbeat {}) revived at {}", kind.taskName(), e.taskInstance.getId(),
                    e.pickedBy, e.lastHeartbeat, clock.instant());
            try {
                operations.reschedule(complete, clock.instant());
            } catch (RuntimeException changed) {
                log.info("{} {}: its entry changed while it was revived (its execution ended meanwhile)", kind.noun(), e.taskInstance.getId());
            }
        }
    }

    /**
     * The job queue of an instance with workers ({@code robustlab.workers.enabled}, the default): a started
     * db-scheduler that runs as many jobs at once as this instance has device slots (and is stopped with the
     * context, also when the context fails to start).
     */
    @Bean(destroyMethod = "stop")
    @Primary
    @ConditionalOnProperty(name = "robustlab.workers.enabled", havingValue = "true", matchIfMissing = true)
    Scheduler scheduler(DataSource dataSource, List<Task<?>> tasks, DevicePool devices, RobustLabProperties properties) {
        Scheduler scheduler = Scheduler.create(dataSource, List.copyOf(tasks))
                .schedulerName(new SchedulerName.Fixed(properties.instanceName()))
                .threads(devices.size())
                .pollingInterval(Duration.ofMillis(500))
                .heartbeatInterval(HEARTBEAT)
                .missedHeartbeatsLimit(MISSED_HEARTBEATS)
                .enableImmediateExecution()
                .shutdownMaxWait(Duration.ofSeconds(1))
                .build();
        scheduler.start();
        return scheduler;
    }

    /** The job queue of an API-only instance: a client that queues and cancels jobs for the instances with workers. */
    @Bean
    @Primary
    @ConditionalOnProperty(name = "robustlab.workers.enabled", havingValue = "false")
    SchedulerClient schedulerClient(DataSource dataSource, List<Task<?>> tasks) {
        log.info("robustlab.workers.enabled is false: this instance serves the API and runs no jobs");
        return SchedulerClient.Builder.create(dataSource, List.copyOf(tasks)).build();
    }
}
