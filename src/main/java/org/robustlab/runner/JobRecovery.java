package org.robustlab.runner;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import java.time.Instant;
import org.robustlab.evaluation.EvaluationJobRepository;
import org.robustlab.job.JobState;
import org.robustlab.job.TrainingJobRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * At start-up, every QUEUED or RUNNING job gets a scheduler entry if it lost one, so that no job is
 * left stuck. Jobs whose entry is still there but whose instance died are revived by db-scheduler's
 * dead-execution detection; either way the worker resumes from the last checkpoint.
 */
@Component
class JobRecovery {

    private static final Logger log = LoggerFactory.getLogger(JobRecovery.class);

    private final TrainingJobRepository jobs;
    private final EvaluationJobRepository evaluations;
    private final SchedulerClient scheduler;

    JobRecovery(TrainingJobRepository jobs, EvaluationJobRepository evaluations, SchedulerClient scheduler) {
        this.jobs = jobs;
        this.evaluations = evaluations;
        this.scheduler = scheduler;
    }

    @EventListener(ApplicationReadyEvent.class)
    void recover() {
        for (JobState state : new JobState[] {JobState.QUEUED, JobState.RUNNING}) {
            jobs.findByState(state).forEach(job -> {
                var id = TaskInstanceId.of(SchedulerConfig.TRAINING_TASK, job.getId().toString());
                if (scheduler.getScheduledExecution(id).isEmpty()) {
                    log.info("rescheduling {} training job {}", state, job.getId());
                    scheduler.schedule(SchedulerConfig.trainingInstance(job.getId()), Instant.now());
                }
            });
        }
        evaluations.findAll().stream().filter(e -> !e.getState().isTerminal()).forEach(e -> {
            var id = TaskInstanceId.of(SchedulerConfig.EVALUATION_TASK, e.getId().toString());
            if (scheduler.getScheduledExecution(id).isEmpty()) {
                scheduler.schedule(SchedulerConfig.evaluationInstance(e.getId()), Instant.now());
            }
        });
    }
}
