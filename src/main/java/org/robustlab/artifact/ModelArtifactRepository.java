package org.robustlab.artifact;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.data.jpa.repository.JpaRepository;

public interface ModelArtifactRepository extends JpaRepository<ModelArtifact, UUID> {

    List<ModelArtifact> findByJobIdOrderByKind(UUID jobId);

    Optional<ModelArtifact> findByJobIdAndKind(UUID jobId, String kind);

    Page<ModelArtifact> findAllByOrderByCreatedAtDesc(Pageable pageable);

    Page<ModelArtifact> findByOwnerOrderByCreatedAtDesc(String owner, Pageable pageable);
}
