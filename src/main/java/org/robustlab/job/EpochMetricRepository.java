package org.robustlab.job;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface EpochMetricRepository extends JpaRepository<EpochMetric, EpochMetric.Key> {

    @Query("select m from EpochMetric m where m.key.jobId = :jobId order by m.key.epoch")
    List<EpochMetric> findByJob(@Param("jobId") UUID jobId);
}
