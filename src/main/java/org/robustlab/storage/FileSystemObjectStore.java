package org.robustlab.storage;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Objects as files under a root folder. A write goes to a temporary file in {@code .incoming/} under
 * the root and is then renamed into place, which is atomic on one file system (local disks, and NFS or
 * CephFS volumes shared by several instances): no reader ever sees half an object.
 */
public final class FileSystemObjectStore implements ObjectStore {

    private static final String INCOMING = ".incoming";
    private final Path root;

    public FileSystemObjectStore(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    private Path file(String key) {
        return root.resolve(ObjectStore.checkKey(key));
    }

    @Override
    public void put(String key, Path source) throws IOException {
        Path target = file(key);
        Path tmp = incoming();
        try {
            Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
            publish(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void put(String key, byte[] bytes) throws IOException {
        Path target = file(key);
        Path tmp = incoming();
        try {
            Files.write(tmp, bytes);
            publish(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private Path incoming() throws IOException {
        Path dir = root.resolve(INCOMING);
        Files.createDirectories(dir);
        return dir.resolve(UUID.randomUUID() + ".part");
    }

    private static void publish(Path tmp, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public InputStream open(String key) throws IOException {
        Path f = file(key);
        if (!Files.isRegularFile(f)) {
            throw new NoSuchFileException(key);
        }
        return Files.newInputStream(f);
    }

    @Override
    public Optional<Long> size(String key) throws IOException {
        Path f = file(key);
        return Files.isRegularFile(f) ? Optional.of(Files.size(f)) : Optional.empty();
    }

    @Override
    public void delete(String key) throws IOException {
        Files.deleteIfExists(file(key));
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        // the folder part of the prefix is walked; the rest filters names
        int slash = prefix.lastIndexOf('/');
        Path start = slash < 0 ? root : root.resolve(ObjectStore.checkKey(prefix.substring(0, slash)));
        if (!Files.isDirectory(start)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        try (Stream<Path> files = Files.walk(start)) {
            files.filter(Files::isRegularFile).forEach(p -> {
                String key = root.relativize(p).toString().replace(File.separatorChar, '/');
                if (key.startsWith(prefix) && !key.startsWith(INCOMING + "/")) {
                    keys.add(key);
                }
            });
        }
        return keys;
    }

    @Override
    public Optional<Path> localFile(String key) {
        return Optional.of(file(key));
    }

    @Override
    public String description() {
        return "filesystem " + root;
    }
}
