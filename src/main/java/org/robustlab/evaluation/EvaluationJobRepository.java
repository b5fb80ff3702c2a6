package org.robustlab.evaluation;

import java.util.List;
import java.util.UUID;
import org.robustlab.execution.JobState;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface EvaluationJobRepository extends JpaRepository<EvaluationJob, UUID> {

    long countByExecutionState(JobState state);

    List<EvaluationJob> findByExecutionState(JobState state);

    List<EvaluationJob> findByModelId(UUID modelId);

    /** Queued or running evaluations other than of {@code modelId} whose request names it (a transfer attack's surrogate). */
    @Query("""
            select e.id from EvaluationJob e
            where e.execution.state in (org.robustlab.execution.JobState.QUEUED, org.robustlab.execution.JobState.RUNNING)
              and e.modelId <> :modelId and e.requestJson like :pattern
            """)
    List<UUID> activeNaming(@Param("modelId") UUID modelId, @Param("pattern") String pattern);

    @Query("""
            select e from EvaluationJob e
            where (:state is null or e.execution.state = :state)
              and (:owner is null or e.owner = :owner)
              and (:modelId is null or e.modelId = :modelId)
              and (:jobId is null or e.modelId in (select m.id from ModelArtifact m where m.jobId = :jobId))
              and (:modelOwner is null or e.modelId in (select m.id from ModelArtifact m where m.owner = :modelOwner))
            """)
    Page<EvaluationJob> search(@Param("state") JobState state, @Param("owner") String owner, @Param("modelId") UUID modelId,
            @Param("jobId") UUID jobId, @Param("modelOwner") String modelOwner, Pageable pageable);
}
