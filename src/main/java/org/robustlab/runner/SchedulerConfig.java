package org.robustlab.runner;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import java.time.Duration;
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
                .onDeadExecutionRevive()
                .execute((instance, context) -> {
                    try {
                        handler.run(UUID.fromString(instance.getData()));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }

    @Bean(destroyMethod = "stop")
    Scheduler scheduler(DataSource dataSource, List<OneTimeTask<String>> tasks, DevicePool devices) {
        Scheduler scheduler = Scheduler.create(dataSource, List.copyOf(tasks))
                .threads(devices.size())
                .pollingInterval(Duration.ofMillis(500))
                .heartbeatInterval(Duration.ofSeconds(2))
                .missedHeartbeatsLimit(4)
                .enableImmediateExecution()
                .shutdownMaxWait(Duration.ofSeconds(1))
                .build();
        scheduler.start();
        return scheduler;
    }
}
