package org.robustlab.evaluation;

import java.util.UUID;
import org.robustlab.job.JobState;
import org.springframework.data.jpa.repository.JpaRepository;

public interface EvaluationJobRepository extends JpaRepository<EvaluationJob, UUID> {

    long countByState(JobState state);
}
