package org.robustlab.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where everything that outlives a worker is kept: checkpoints, models, uploads and evaluation pictures.
 * Two implementations: a folder ({@link FileSystemObjectStore}, the default, also correct on a shared
 * network volume) and an S3-compatible bucket ({@link S3ObjectStore}: AWS, MinIO, Ceph, S3Proxy).
 *
 * <p>Keys are relative, slash-separated paths of letters, digits, dots, dashes and underscores, such as
 * {@code models/ID/model.safetensors}. Writes are atomic: a reader sees a whole object or none.
 */
public interface ObjectStore {

    /** Stores a copy of {@code file} under {@code key}, replacing what was there, atomically. */
    void put(String key, Path file) throws IOException;

    /** Stores {@code bytes} under {@code key}, atomically. */
    void put(String key, byte[] bytes) throws IOException;

    /** A stream of the object; {@link NoSuchFileException} if there is none. */
    InputStream open(String key) throws IOException;

    /** The object's size in bytes, or empty if there is none. */
    Optional<Long> size(String key) throws IOException;

    /** Removes the object; nothing happens if there is none. */
    void delete(String key) throws IOException;

    /** The keys that start with {@code prefix}, in no particular order. */
    List<String> list(String prefix) throws IOException;

    /** The object's file, where the store is a folder on this machine; empty for a remote store. */
    Optional<Path> localFile(String key);

    /** Says what and where the store is, without credentials (for logs and health). */
    String description();

    /** The object's bytes, or empty if there is none. */
    default Optional<byte[]> read(String key) throws IOException {
        try (InputStream in = open(key)) {
            return Optional.of(in.readAllBytes());
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Copies the object to {@code target} (through a temporary sibling, so that target is whole or absent). */
    default void copyTo(String key, Path target) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Path tmp = target.resolveSibling(target.getFileName() + ".part");
        try (InputStream in = open(key)) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Removes every object whose key starts with {@code prefix}. */
    default void deleteAll(String prefix) throws IOException {
        for (String key : list(prefix)) {
            delete(key);
        }
    }

    /** Checks a key: relative, no empty, "." or ".." segments, only [A-Za-z0-9._-] in each. */
    static String checkKey(String key) {
        if (key == null || !Keys.VALID.matcher(key).matches() || key.startsWith("/") || key.contains("//")
                || List.of(key.split("/")).stream().anyMatch(s -> s.equals(".") || s.equals(".."))) {
            throw new IllegalArgumentException("not a valid object key: '" + key + "'");
        }
        return key;
    }

    /** Key patterns. */
    final class Keys {
        static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

        private Keys() {}
    }
}
