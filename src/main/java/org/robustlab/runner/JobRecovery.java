package org.robustlab.runner;

import java.util.UUID;
import java.util.stream.Stream;
import org.robustlab.evaluation.EvaluationJobRepository;
import org.robustlab.execution.Executable;
import org.robustlab.execution.JobKind;
import org.robustlab.execution.JobQueue;
import org.robustlab.execution.JobState;
import org.robustlab.job.TrainingJobRepository;
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

    private final TrainingJobRepository jobs;
    private final EvaluationJobRepository evaluations;
    private final JobQueue queue;

    JobRecovery(TrainingJobRepository jobs, EvaluationJobRepository evaluations, JobQueue queue) {
        this.jobs = jobs;
        this.evaluations = evaluations;
        this.queue = queue;
    }

    @EventListener(ApplicationReadyEvent.class)
    void recover() {
        for (JobState state : new JobState[] {JobState.QUEUED, JobState.RUNNING}) {
            ids(jobs.findByExecutionState(state).stream()).forEach(id -> queue.queue(JobKind.TRAINING, id));
            ids(evaluations.findByExecutionState(state).stream()).forEach(id -> queue.queue(JobKind.EVALUATION, id));
        }
    }

    private static Stream<UUID> ids(Stream<? extends Executable> rows) {
        return rows.map(Executable::getId);
    }
}
