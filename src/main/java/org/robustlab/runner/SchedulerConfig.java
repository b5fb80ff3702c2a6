package org.robustlab.runner;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.SchedulerName;
import org.robustlab.config.RobustLabProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Jobs are queued in the database through db-scheduler, which already lets several instances on one
 * PostgreSQL share the work. Each instance runs as many jobs at once as it has device slots. A job
 * whose instance died is found by its stale heartbeat and started again (it resumes from its checkpoint).
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

    public static final String TRAINING_TASK = "training-job";
    public static final String EVALUATION_TASK = "evaluation-job";

    private static final OneTimeTask<String> TRAINING_DESCRIPTOR = Tasks.oneTime(TRAINING_TASK, String.class).execute((i, c) -> { });
    private static final OneTimeTask<String> EVALUATION_DESCRIPTOR = Tasks.oneTime(EVALUATION_TASK, String.class).execute((i, c) -> { });

    /** The scheduler entry of a training job. */
    public static com.github.kagkarlsson.scheduler.task.TaskInstance<String> trainingInstance(UUID id) {
        return TRAINING_DESCRIPTOR.instance(id.toString(), id.toString());
    }

    /** The scheduler entry of an evaluation. */
    public static com.github.kagkarlsson.scheduler.task.TaskInstance<String> evaluationInstance(UUID id) {
        return EVALUATION_DESCRIPTOR.instance(id.toString(), id.toString());
    }

    @Bean
    OneTimeTask<String> trainingTask(TrainingRunner runner) {
        return task(TRAINING_TASK, runner::run);
    }

    @Bean
    OneTimeTask<String> evaluationTask(EvaluationRunner runner) {
        return task(EVALUATION_TASK, runner::run);
    }

    /** Something that runs one job to its end, by id. */
    interface JobHandler {
        void run(UUID id) throws InterruptedException;
    }

    private static OneTimeTask<String> task(String name, JobHandler handler) {
        return Tasks.oneTime(name, String.class)
                .onDeadExecution(new com.github.kagkarlsson.scheduler.task.DeadExecutionHandler<String>() {
                    private final com.github.kagkarlsson.scheduler.task.DeadExecutionHandler<String> revive =
                            new com.github.kagkarlsson.scheduler.task.DeadExecutionHandler.ReviveDeadExecution<>();

                    @Override
                    public void deadExecution(com.github.kagkarlsson.scheduler.task.ExecutionComplete complete,
                            com.github.kagkarlsson.scheduler.task.ExecutionOperations<String> operations) {
                        var e = complete.getExecution();
                        // the failover's first step, logged with its times: the job is queued again for any instance
                        log.warn("{} {} of dead instance {} (last heartbeat {}) revived at {}", name, e.taskInstance.getId(),
                                e.pickedBy, e.lastHeartbeat, Instant.now());
                        revive.deadExecution(complete, operations);
                    }
                })
                .execute((instance, context) -> {
                    try {
                        handler.run(UUID.fromString(instance.getData()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }

    /**
     * The job queue of an instance with workers ({@code robustlab.workers.enabled}, the default): a started
     * db-scheduler that runs as many jobs at once as this instance has device slots (and is stopped with the
     * context, also when the context fails to start).
     */
    @Bean(destroyMethod = "stop")
    @ConditionalOnProperty(name = "robustlab.workers.enabled", havingValue = "true", matchIfMissing = true)
    Scheduler scheduler(DataSource dataSource, List<OneTimeTask<String>> tasks, DevicePool devices, RobustLabProperties properties) {
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
    @ConditionalOnProperty(name = "robustlab.workers.enabled", havingValue = "false")
    SchedulerClient schedulerClient(DataSource dataSource, List<OneTimeTask<String>> tasks) {
        log.info("robustlab.workers.enabled is false: this instance serves the API and runs no jobs");
        return SchedulerClient.Builder.create(dataSource, List.copyOf(tasks)).build();
    }
}
