package org.robustlab.sweep;

import java.util.List;
import java.util.UUID;
import org.robustlab.execution.JobState;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface SweepRepository extends JpaRepository<Sweep, UUID> {

    List<Sweep> findByState(JobState state);

    @Query("select s from Sweep s where (:owner is null or s.owner = :owner)")
    Page<Sweep> search(@Param("owner") String owner, Pageable pageable);
}
