package org.robustlab.artifact;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.robustlab.ml.training.Checkpoints;
import org.springframework.stereotype.Component;

/**
 * Turns a finished job's checkpoints into immutable model artifacts: the files are copied out of the
 * checkpoint folder (which the next epoch of a resumed run would replace) into {@code models/ID/},
 * and stored with their SHA-256.
 */
@Component
public class ArtifactStore {

    private final ModelArtifactRepository artifacts;

    ArtifactStore(ModelArtifactRepository artifacts) {
        this.artifacts = artifacts;
    }

    /** Registers the checkpoint in {@code checkpointDir} (if it exists) as a model of {@code kind}. */
    public Optional<ModelArtifact> register(UUID jobId, Path runDir, Path checkpointDir, String kind, String architecture,
            String dataset, String method, String hyperparameters, String owner) throws IOException {
        Path source = Checkpoints.existing(checkpointDir);
        if (source == null) {
            return Optional.empty();
        }
        Checkpoints.State state = Checkpoints.readState(source);
        UUID id = UUID.randomUUID();
        Path target = runDir.resolve("models").resolve(id.toString());
        Files.createDirectories(target);
        for (String f : List.of(Checkpoints.DJL_FILE, Checkpoints.SAFETENSORS_FILE, "state.json")) {
            Files.copy(source.resolve(f), target.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        String metrics = Files.readString(target.resolve("state.json"));
        int epoch = kind.equals("last") ? state.epochsCompleted() : state.bestEpoch();
        ModelArtifact artifact = new ModelArtifact(id, jobId, kind, epoch, architecture, dataset, method, hyperparameters,
                metrics, stored(target.resolve(Checkpoints.DJL_FILE)), stored(target.resolve(Checkpoints.SAFETENSORS_FILE)),
                Instant.now());
        artifact.setOwner(owner);
        return Optional.of(artifacts.save(artifact));
    }

    private static ModelArtifact.StoredFile stored(Path file) throws IOException {
        return new ModelArtifact.StoredFile(file.toAbsolutePath().toString(), Checksums.sha256(file), Files.size(file));
    }

    /** Whether the file on disk still has the checksum recorded for it. */
    public static boolean intact(ModelArtifact.StoredFile file) throws IOException {
        Path p = Path.of(file.path());
        return Files.isRegularFile(p) && Files.size(p) == file.size() && Checksums.sha256(p).equals(file.sha256());
    }
}
