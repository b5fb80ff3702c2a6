package org.robustlab.execution;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Modifying;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface JobExecutionRepository extends JpaRepository<JobExecution, UUID> {

    List<JobExecution> findByJobIdOrderByStartedAt(UUID jobId);

    @Modifying
    @Query("delete from JobExecution x where x.jobId = :jobId")
    int deleteByJob(@Param("jobId") UUID jobId);
}
