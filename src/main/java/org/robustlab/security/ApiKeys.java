package org.robustlab.security;

import java.time.Clock;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.problem.ConflictException;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.NotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * API keys: issued with a random secret that is shown once and stored only as its SHA-256 (a key is 256
 * random bits, so a fast hash is enough), checked on every request (through a cache of 10 seconds, so
 * that polling clients do not query the database each time), revoked by an admin. At start, a database
 * without an active admin key gets one, written to {@code robustlab.security.admin-key-file}.
 */
@Service
public class ApiKeys {

    private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
    static final String PREFIX = "rlk_";
    private static final long CACHE_NANOS = 10_000_000_000L;

    private final ApiKeyRepository keys;
    private final RobustLabProperties properties;
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Cached> cache = new ConcurrentHashMap<>();

    private record Cached(Caller caller, long until) {}

    /**
     * A key as listed: never its secret.
     *
     * @param id the key's id
     * @param name whom it belongs to; what it creates is owned by this name
     * @param role viewer, researcher or admin
     * @param prefix the secret's first characters, to recognise it
     * @param createdAt when it was issued
     * @param createdBy who issued it (null for the first admin key and keys made on the command line)
     * @param revokedAt when it was revoked, or null
     */
    public record KeyView(UUID id, String name, String role, String prefix, Instant createdAt, String createdBy, Instant revokedAt) {}

    /** A newly issued key, with its secret: the only time it is shown. */
    public record IssuedKey(UUID id, String name, String role, String prefix, Instant createdAt, String key) {}

    private final Clock clock;

    ApiKeys(ApiKeyRepository keys, RobustLabProperties properties, Clock clock) {
        this.clock = clock;
        this.keys = keys;
        this.properties = properties;
    }

    /** Issues a key for {@code name} with {@code role}; {@code by} is the issuer's name (null on the command line). */
    @Transactional
    public IssuedKey create(String name, String role, String by) {
        if (name == null || name.isBlank() || name.length() > 200 || name.chars().anyMatch(Character::isISOControl)) {
            throw new InvalidRequestException("name", "name must be 1 to 200 characters without control characters");
        }
        Role r;
        try {
            r = Role.fromId(role == null ? "" : role);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("role", e.getMessage());
        }
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String secret = PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        ApiKey key = new ApiKey(UUID.randomUUID(), name.strip(), r, hash(secret), secret.substring(0, 12), clock.instant(), by);
        keys.saveAndFlush(key);
        return new IssuedKey(key.getId(), key.getName(), r.id(), key.getKeyPrefix(), key.getCreatedAt(), secret);
    }

    public List<KeyView> list() {
        return keys.findAllByOrderByCreatedAtAsc().stream().map(ApiKeys::view).toList();
    }

    /** Revokes a key; the last active admin key cannot be revoked (nobody could manage keys afterwards). */
    @Transactional
    public KeyView revoke(UUID id) {
        ApiKey key = keys.findById(id).orElseThrow(() -> NotFoundException.forId("API key", id));
        if (key.getRevokedAt() == null) {
            if (key.getRole() == Role.ADMIN && keys.countByRoleAndRevokedAtIsNull(Role.ADMIN) <= 1) {
                throw new ConflictException("key " + id + " is the last active admin key; issue another admin key first");
            }
            key.revoke(clock.instant());
            keys.saveAndFlush(key);
            cache.clear();
        }
        return view(key);
    }

    /** The caller a secret belongs to, if it is an active key. */
    public Optional<Caller> authenticate(String secret) {
        if (secret == null || !secret.startsWith(PREFIX) || secret.length() > 100) {
            return Optional.empty();
        }
        String hash = hash(secret);
        long now = System.nanoTime();
        Cached c = cache.get(hash);
        if (c != null && now < c.until()) {
            return Optional.of(c.caller());
        }
        Optional<Caller> caller = keys.findByKeyHashAndRevokedAtIsNull(hash).map(k -> new Caller(k.getId(), k.getName(), k.getRole()));
        caller.ifPresentOrElse(k -> cache.put(hash, new Cached(k, now + CACHE_NANOS)), () -> cache.remove(hash));
        return caller;
    }

    /**
     * Makes sure an admin can get in: with no active admin key, issues one and writes it to the admin key file
     * (owner-readable only), and says where in the log. Returns the file, or null when a key already existed.
     */
    @Transactional
    public Path bootstrap() throws IOException {
        if (keys.countByRoleAndRevokedAtIsNull(Role.ADMIN) > 0) {
            return null;
        }
        IssuedKey admin = create("admin", "admin", null);
        Path file = properties.security().adminKeyFile().toAbsolutePath().normalize();
        Files.createDirectories(file.getParent());
        Path tmp = Files.createTempFile(file.getParent(), ".admin-key", ".tmp");
        try {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: the folder's own permissions protect it
            }
            Files.writeString(tmp, admin.key() + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        log.warn("no admin API key existed: created one ({}) and wrote it to {} (readable by this user only);"
                + " send it as 'Authorization: Bearer <key>' and issue other keys with POST /api/v1/keys", admin.prefix(), file);
        return file;
    }

    static String hash(String secret) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyView view(ApiKey k) {
        return new KeyView(k.getId(), k.getName(), k.getRole().id(), k.getKeyPrefix(), k.getCreatedAt(), k.getCreatedBy(), k.getRevokedAt());
    }
}
