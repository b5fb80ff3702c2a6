package org.robustlab.security;

import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.data.jpa.repository.JpaRepository;

interface ApiKeyRepository extends JpaRepository<ApiKey, UUID> {

    Optional<ApiKey> findByKeyHashAndRevokedAtIsNull(String keyHash);

    long countByRoleAndRevokedAtIsNull(Role role);

    List<ApiKey> findAllByOrderByCreatedAtAsc();
}
