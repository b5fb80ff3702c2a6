package org.robustlab.job;

import java.util.List;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;
import org.robustlab.execution.JobState;

public interface TrainingJobRepository extends JpaRepository<TrainingJob, UUID> {

    @Query("""
            select j from TrainingJob j
            where (:state is null or j.execution.state = :state)
              and (:method is null or j.method = :method)
              and (:dataset is null or j.dataset = :dataset)
              and (:tag is null or :tag member of j.tags)
              and (:owner is null or j.owner = :owner)
            """)
    Page<TrainingJob> search(@Param("state") JobState state, @Param("method") String method,
            @Param("dataset") String dataset, @Param("tag") String tag, @Param("owner") String owner, Pageable pageable);

    List<TrainingJob> findByExecutionState(JobState state);

    long countByExecutionState(JobState state);

    /** The jobs that continue {@code previous}'s last checkpoint (rungs of successive halving). */
    List<TrainingJob> findByContinuesJob(UUID previous);
}
