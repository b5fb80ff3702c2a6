package org.robustlab.evaluation;

import java.time.Clock;
import org.robustlab.execution.ExecutionStore;
import org.robustlab.execution.JobKind;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/** Short transactions on evaluations for the runner and the API ({@link ExecutionStore}). */
@Component
public class EvaluationStore extends ExecutionStore<EvaluationJob> {

    EvaluationStore(EvaluationJobRepository evaluations, TransactionTemplate tx, Clock clock) {
        super(JobKind.EVALUATION, evaluations, tx, clock);
    }
}
