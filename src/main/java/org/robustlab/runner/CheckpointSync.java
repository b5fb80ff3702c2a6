package org.robustlab.runner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.robustlab.artifact.ArtifactStore;
import org.robustlab.artifact.Checksums;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.storage.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Keeps a job's checkpoints in the artifact store, so that a job whose instance dies resumes on another:
 * each epoch's {@code last/} (optimizer state included) and {@code best/} are uploaded under
 * {@code jobs/ID/checkpoints/KIND-EPOCH-TOKEN/}, and then a small pointer object {@code jobs/ID/checkpoints/KIND.json}
 * names them with their SHA-256. The pointer is written last, and a PUT is atomic, so a reader never
 * follows it to a half-written checkpoint. When the store is the runs folder itself (one machine), the
 * checkpoints are already there and nothing is copied.
 */
@Component
class CheckpointSync {

    private static final Logger log = LoggerFactory.getLogger(CheckpointSync.class);

    /** What a pointer object holds. */
    record Pointer(int epoch, String token, String prefix, Map<String, String> sha256) {}

    private final ArtifactStore artifacts;
    private final ObjectMapper json;

    CheckpointSync(ArtifactStore artifacts, ObjectMapper json) {
        this.artifacts = artifacts;
        this.json = json;
    }

    private ObjectStore store() {
        return artifacts.store();
    }

    boolean active() {
        return !artifacts.storeIsRunsDir();
    }

    private static String pointerKey(UUID job, String kind) {
        return "jobs/" + job + "/checkpoints/" + kind + ".json";
    }

    /**
     * Uploads the checkpoint the worker just wrote to {@code dir} for {@code epoch}, then points to it; skipped
     * (false) if the worker has meanwhile replaced it with a later one (the later one is uploaded next).
     * {@code fence} is run before the pointer is written and throws if this execution has been superseded.
     */
    boolean publish(UUID job, String kind, Path dir, int epoch, String token, Runnable fence) throws IOException {
        if (!active()) {
            return true;
        }
        Path source = Checkpoints.existing(dir);
        if (source == null || Checkpoints.readState(source).epochsCompleted() != epoch) {
            return false;
        }
        String prefix = "jobs/" + job + "/checkpoints/" + kind + "-" + epoch + "-" + token.substring(0, 8) + "/";
        Map<String, String> sums = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(source)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            sums.put(name, Checksums.sha256(f));
            store().put(prefix + name, f);
        }
        // a torn read (the worker swapped in the next epoch's folder while we read) shows as a changed state
        Path again = Checkpoints.existing(dir);
        if (again == null || Checkpoints.readState(again).epochsCompleted() != epoch) {
            store().deleteAll(prefix);
            return false;
        }
        fence.run();
        Pointer previous = pointer(job, kind);
        store().put(pointerKey(job, kind), json.writeValueAsBytes(new Pointer(epoch, token, prefix, sums)));
        if (previous != null && !previous.prefix().equals(prefix)) {
            store().deleteAll(previous.prefix());
        }
        return true;
    }

    Pointer pointer(UUID job, String kind) throws IOException {
        return store().read(pointerKey(job, kind))
                .map(b -> json.readValue(b, Pointer.class)).orElse(null);
    }

    /**
     * Puts job {@code previous}'s checkpoint of {@code kind} into {@code dir}, the folder of a job that continues it
     * (a rung of successive halving): from the store, checked against its SHA-256, or copied from the runs folder
     * when that is the store. Returns its epoch, or 0 if {@code previous} has none.
     */
    int continueFrom(UUID previous, String kind, Path dir, Path runsDir) throws IOException {
        if (active()) {
            return restore(previous, kind, dir);
        }
        Path source = Checkpoints.existing(runsDir.resolve("jobs").resolve(previous.toString()).resolve(kind));
        if (source == null) {
            return 0;
        }
        Path incoming = dir.resolveSibling(dir.getFileName() + ".restore");
        Checkpoints.deleteTree(incoming);
        Files.createDirectories(incoming);
        try (Stream<Path> s = Files.list(source)) {
            for (Path f : s.filter(Files::isRegularFile).toList()) {
                Files.copy(f, incoming.resolve(f.getFileName().toString()));
            }
        }
        Checkpoints.deleteTree(dir);
        Files.move(incoming, dir, StandardCopyOption.ATOMIC_MOVE);
        return Checkpoints.readState(dir).epochsCompleted();
    }

    /**
     * Brings the store's checkpoint of {@code kind} into {@code dir} if it is newer than what is there (a job
     * resumed on another instance); every file is checked against its SHA-256. Returns the epoch of the
     * checkpoint now in {@code dir}, or 0 if there is none.
     */
    int restore(UUID job, String kind, Path dir) throws IOException {
        Path local = Checkpoints.existing(dir);
        int localEpoch = local == null ? 0 : Checkpoints.readState(local).epochsCompleted();
        if (!active()) {
            return localEpoch;
        }
        Pointer p = pointer(job, kind);
        if (p == null || p.epoch() <= localEpoch) {
            return localEpoch;
        }
        Path incoming = dir.resolveSibling(dir.getFileName() + ".restore");
        Checkpoints.deleteTree(incoming);
        Files.createDirectories(incoming);
        for (Map.Entry<String, String> f : p.sha256().entrySet()) {
            Path target = incoming.resolve(f.getKey());
            try (InputStream in = store().open(p.prefix() + f.getKey())) {
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
            if (!Checksums.sha256(target).equals(f.getValue())) {
                Checkpoints.deleteTree(incoming);
                throw new IOException("checkpoint file " + p.prefix() + f.getKey() + " does not match its recorded SHA-256");
            }
        }
        Path old = dir.resolveSibling(dir.getFileName() + ".old");
        Checkpoints.deleteTree(old);
        if (Files.exists(dir)) {
            Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(incoming, dir, StandardCopyOption.ATOMIC_MOVE);
        Checkpoints.deleteTree(old);
        log.info("job {}: {} checkpoint of epoch {} fetched from the store (local copy had epoch {})", job, kind, p.epoch(), localEpoch);
        return p.epoch();
    }
}
