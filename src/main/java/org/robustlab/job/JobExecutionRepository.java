package org.robustlab.job;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

public interface JobExecutionRepository extends JpaRepository<JobExecution, UUID> {

    List<JobExecution> findByJobIdOrderByStartedAt(UUID jobId);

    @org.springframework.data.jpa.repository.Modifying
    @org.springframework.data.jpa.repository.Query("delete from JobExecution x where x.jobId = :jobId")
    int deleteByJob(@org.springframework.data.repository.query.Param("jobId") UUID jobId);
}
