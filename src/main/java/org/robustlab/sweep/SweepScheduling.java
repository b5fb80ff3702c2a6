package org.robustlab.sweep;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import java.time.Duration;
import javax.sql.DataSource;
import org.robustlab.config.RobustLabProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The sweep coordinator as a db-scheduler recurring task: every instance on the database offers to run it, and
 * db-scheduler runs it on one at a time, picking it up elsewhere when that instance dies. It has a scheduler and a
 * table ({@value #TABLE}) of its own, so that it never waits for a free job slot, and the job scheduler never sees it.
 */
@Configuration
class SweepScheduling {

    static final String TABLE = "coordination_tasks";

    @Bean(destroyMethod = "stop")
    Scheduler sweepCoordination(DataSource dataSource, SweepCoordinator coordinator, RobustLabProperties properties) {
        RecurringTask<Void> task = Tasks.recurring("sweep-coordinator", FixedDelay.ofSeconds(2)).execute((instance, context) -> coordinator.tick());
        Scheduler scheduler = Scheduler.create(dataSource)
                .tableName(TABLE)
                .startTasks(task)
                .schedulerName(new SchedulerName.Fixed(properties.instanceName()))
                .threads(1)
                .pollingInterval(Duration.ofMillis(500))
                .heartbeatInterval(Duration.ofSeconds(2))
                .missedHeartbeatsLimit(5)
                .shutdownMaxWait(Duration.ofSeconds(1))
                .build();
        scheduler.start();
        return scheduler;
    }
}
