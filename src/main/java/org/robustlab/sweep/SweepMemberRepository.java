package org.robustlab.sweep;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;
import org.springframework.data.repository.query.Param;

public interface SweepMemberRepository extends JpaRepository<SweepMember, UUID> {

    List<SweepMember> findBySweepIdOrderByPosition(UUID sweepId);

    /** The sweeps with a member that ran {@code jobId} (its current job, or a rung's in {@code jobs_json}). */
    @Query("select distinct m.sweepId from SweepMember m where m.jobId = :jobId or m.jobsJson like :pattern")
    List<UUID> sweepsWithJob(@Param("jobId") UUID jobId, @Param("pattern") String pattern);

    /** The sweeps with a member whose evaluations ({@code evaluations_json}) include the one {@code pattern} names. */
    @Query("select distinct m.sweepId from SweepMember m where m.evaluationsJson like :pattern")
    List<UUID> sweepsWithEvaluation(@Param("pattern") String pattern);
}
