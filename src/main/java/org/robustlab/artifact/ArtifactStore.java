package org.robustlab.artifact;

import java.time.Clock;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.problem.CorruptedArtifactException;
import org.robustlab.storage.FileSystemObjectStore;
import org.robustlab.storage.ObjectStore;
import org.springframework.stereotype.Component;

/**
 * Model files in the {@link ObjectStore}: a finished job's checkpoints become immutable model artifacts
 * under {@code models/ID/}, each file recorded with its key, SHA-256 and size; evaluations and downloads
 * read them back from any instance, checked against that SHA-256.
 *
 * <p>Rows written before the store existed hold an absolute path instead of a key; they are read from that
 * path, as before.
 */
@Component
public class ArtifactStore {

    private final ModelArtifactRepository artifacts;
    private final ObjectStore store;
    private final Path runsDir;

    private final Clock clock;

    ArtifactStore(ModelArtifactRepository artifacts, ObjectStore store, RobustLabProperties properties, Clock clock) {
        this.clock = clock;
        this.artifacts = artifacts;
        this.store = store;
        this.runsDir = properties.runsDir().toAbsolutePath().normalize();
    }

    public ObjectStore store() {
        return store;
    }

    /**
     * Whether the store is the runs folder itself (one machine, the default): then a job's checkpoints and an
     * evaluation's pictures are in the store where the worker writes them, and are not copied.
     */
    public boolean storeIsRunsDir() {
        return store instanceof FileSystemObjectStore fs && fs.root().equals(runsDir);
    }

    /** Registers the checkpoint in {@code checkpointDir} (if it exists) as a model of {@code kind}. */
    public Optional<ModelArtifact> register(UUID jobId, Path checkpointDir, String kind, String architecture,
            String dataset, String method, String hyperparameters, String owner) throws IOException {
        Path source = Checkpoints.existing(checkpointDir);
        if (source == null) {
            return Optional.empty();
        }
        Checkpoints.State state = Checkpoints.readState(source);
        UUID id = UUID.randomUUID();
        String prefix = "models/" + id + "/";
        store.put(prefix + "state.json", source.resolve("state.json"));
        ModelArtifact.StoredFile djl = put(prefix + Checkpoints.DJL_FILE, source.resolve(Checkpoints.DJL_FILE));
        ModelArtifact.StoredFile safetensors = put(prefix + Checkpoints.SAFETENSORS_FILE, source.resolve(Checkpoints.SAFETENSORS_FILE));
        String metrics = Files.readString(source.resolve("state.json"));
        int epoch = kind.equals("last") ? state.epochsCompleted() : state.bestEpoch();
        ModelArtifact artifact = new ModelArtifact(id, jobId, kind, epoch, architecture, dataset, method, hyperparameters,
                metrics, djl, safetensors, clock.instant());
        artifact.setOwner(owner);
        return Optional.of(artifacts.save(artifact));
    }

    /** Stores {@code file} under {@code key} and returns its record (key, SHA-256, size). */
    public ModelArtifact.StoredFile put(String key, Path file) throws IOException {
        String sha = Checksums.sha256(file);
        long size = Files.size(file);
        store.put(key, file);
        return new ModelArtifact.StoredFile(key, sha, size);
    }

    /** The file of a row written before the store existed (an absolute path), else empty. */
    private static Optional<Path> legacy(ModelArtifact.StoredFile file) {
        return file.path().startsWith("/") ? Optional.of(Path.of(file.path())) : Optional.empty();
    }

    /** The file on this machine, when the store is local (or the row is older than the store). */
    private Optional<Path> local(ModelArtifact.StoredFile file) {
        return legacy(file).or(() -> store.localFile(file.path()));
    }

    /**
     * Whether the stored file still has the recorded size and, where it is on this machine, the recorded
     * SHA-256 (a remote file's SHA-256 is checked while it is read: {@link #open}).
     */
    public boolean intact(ModelArtifact.StoredFile file) throws IOException {
        Optional<Path> p = local(file);
        if (p.isPresent()) {
            return Files.isRegularFile(p.get()) && Files.size(p.get()) == file.size() && Checksums.sha256(p.get()).equals(file.sha256());
        }
        return store.size(file.path()).map(s -> s == file.size()).orElse(false);
    }

    /**
     * A stream of the stored file that checks its SHA-256 as it is read: at the end, a mismatch is an
     * {@link IOException}, so a download of a corrupted object is broken off rather than completed.
     */
    public InputStream open(ModelArtifact.StoredFile file) throws IOException {
        InputStream in = local(file).isPresent() ? Files.newInputStream(local(file).get()) : store.open(file.path());
        return new VerifyingStream(in, file.sha256(), file.path());
    }

    /** The name of a lab's TorchScript archive, in the store and in a local folder. */
    public static final String TORCHSCRIPT_FILE = "model.pt";

    /** {@link #localFolder}'s file of {@code model}: its DJL parameters or its TorchScript archive. */
    public Path localFile(ModelArtifact model) throws IOException {
        return localFolder(model).resolve(model.isTorchScript() ? TORCHSCRIPT_FILE : Checkpoints.DJL_FILE);
    }

    /**
     * A folder on this machine with the model's DJL parameters ({@value Checkpoints#DJL_FILE}) or TorchScript archive
     * ({@value #TORCHSCRIPT_FILE}), checked against
     * the recorded SHA-256: the store's own folder when it is local, else a copy fetched into the cache under
     * runs-dir. Throws {@link CorruptedArtifactException} if the file is missing or does not match.
     */
    public Path localFolder(ModelArtifact model) throws IOException {
        ModelArtifact.StoredFile djl = model.djl();
        Optional<Path> p = local(djl);
        if (p.isPresent()) {
            if (!intact(djl)) {
                throw corrupted(model);
            }
            return p.get().getParent();
        }
        Path folder = runsDir.resolve("cache").resolve("models").resolve(model.getId().toString());
        String name = model.isTorchScript() ? TORCHSCRIPT_FILE : Checkpoints.DJL_FILE;
        Path target = folder.resolve(name);
        if (Files.isRegularFile(target) && Files.size(target) == djl.size() && Checksums.sha256(target).equals(djl.sha256())) {
            return folder;
        }
        Files.createDirectories(folder);
        Path part = folder.resolve(name + ".download");
        try {
            try (InputStream in = store.open(djl.path())) {
                Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (NoSuchFileException e) {
            throw corrupted(model);
        }
        if (Files.size(part) != djl.size() || !Checksums.sha256(part).equals(djl.sha256())) {
            Files.deleteIfExists(part);
            throw corrupted(model);
        }
        Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return folder;
    }

    private static CorruptedArtifactException corrupted(ModelArtifact model) {
        return new CorruptedArtifactException("the parameter file of model " + model.getId()
                + " is missing or does not match its recorded SHA-256; it is corrupted");
    }

    /** Removes the model's files (used when its record could not be saved). */
    public void deleteFiles(List<ModelArtifact.StoredFile> files) {
        for (ModelArtifact.StoredFile f : files) {
            try {
                if (legacy(f).isEmpty()) {
                    store.delete(f.path());
                }
            } catch (IOException ignored) {
                // best effort: an orphan object is harmless, it has no record
            }
        }
    }

    /** Checks a SHA-256 as the stream is read; a mismatch at the end is an IOException. */
    static final class VerifyingStream extends FilterInputStream {
        private final MessageDigest digest;
        private final String expected;
        private final String name;
        private boolean checked;

        VerifyingStream(InputStream in, String expected, String name) {
            super(in);
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            this.expected = expected;
            this.name = name;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b < 0) {
                check();
            } else {
                digest.update((byte) b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n < 0) {
                check();
            } else {
                digest.update(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            throw new IOException("skipping is not supported: the whole file is checked");
        }

        private void check() throws IOException {
            if (!checked) {
                checked = true;
                String actual = HexFormat.of().formatHex(digest.digest());
                if (!actual.equals(expected)) {
                    throw new IOException("stored file " + name + " does not match its recorded SHA-256 (" + actual + ")");
                }
            }
        }
    }
}
