package org.robustlab.runner;

import java.time.Instant;
import java.util.UUID;
import org.robustlab.job.JobExecution;
import org.robustlab.job.JobExecutionRepository;
import org.springframework.stereotype.Component;

/** Writes the execution history: one row per start of a job or evaluation, closed with its outcome. */
@Component
class ExecutionLog {

    private final JobExecutionRepository executions;

    ExecutionLog(JobExecutionRepository executions) {
        this.executions = executions;
    }

    JobExecution start(UUID jobId, String kind, int attempt, String instance, String token) {
        return executions.saveAndFlush(new JobExecution(jobId, kind, attempt, instance, token, Instant.now()));
    }

    void resumed(JobExecution e, int fromEpoch, int redone) {
        e.setResumedFromEpoch(fromEpoch);
        e.setEpochsRedone(redone);
        executions.saveAndFlush(e);
    }

    void end(JobExecution e, String outcome) {
        if (e == null) {
            return;
        }
        e.setEndedAt(Instant.now());
        e.setOutcome(outcome);
        executions.saveAndFlush(e);
    }
}
