package org.robustlab.sweep;

import java.util.List;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

public interface SweepMemberRepository extends JpaRepository<SweepMember, UUID> {

    List<SweepMember> findBySweepIdOrderByPosition(UUID sweepId);
}
