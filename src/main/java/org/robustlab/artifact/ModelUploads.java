package org.robustlab.artifact;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.time.Clock;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Supplier;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.security.Caller;
import org.robustlab.security.Quotas;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Models trained elsewhere: a safetensors file in the PyTorch layout for an architecture the service
 * knows. The file is streamed to a staging folder, loaded into the architecture (every tensor
 * present, with its exact shape, as F32, nothing extra), converted to DJL's format, and only then
 * moved into place and recorded. A bad file leaves nothing behind.
 */
@Component
public class ModelUploads {

    private final ModelArtifactRepository artifacts;
    private final RobustLabProperties properties;
    private final ObjectMapper json;

    private final Quotas quotas;
    private final ArtifactStore store;
    private final Clock clock;

    ModelUploads(ModelArtifactRepository artifacts, RobustLabProperties properties, ObjectMapper json, ArtifactStore store, Quotas quotas,
            Clock clock) {
        this.quotas = quotas;
        this.clock = clock;
        this.store = store;
        this.artifacts = artifacts;
        this.properties = properties;
        this.json = json;
    }

    /**
     * Checks, stores and records an upload. Every field is checked before anything is written; the file is
     * written to a staging folder, and a failure at any later point (a bad file, the database) removes what
     * was written.
     */
    public ModelArtifact upload(InputStream content, String filename, String model, String dataset, String name) throws IOException {
        quotas.submission(Caller.current());
        if (name != null && (name.length() > 200 || name.chars().anyMatch(Character::isISOControl))) {
            throw new InvalidRequestException("name", "name must be at most 200 characters without control characters; got "
                    + name.length() + " characters");
        }
        // the client's file name, without any folder it came with
        String file = filename == null ? null : filename.substring(Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\')) + 1);
        if (file != null && (file.length() > 255 || file.chars().anyMatch(Character::isISOControl))) {
            throw new InvalidRequestException("file", "the file's name must be at most 255 characters without control characters");
        }
        Architecture architecture = parse("model", model, () -> Architecture.fromId(model), Arrays.toString(
                Arrays.stream(Architecture.values()).map(Architecture::id).toArray()));
        DatasetId datasetId = parse("dataset", dataset, () -> DatasetId.fromId(dataset), Arrays.toString(
                Arrays.stream(DatasetId.values()).map(DatasetId::id).toArray()));
        ModelSpec spec;
        try {
            spec = ModelSpec.of(architecture, datasetId);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("model", e.getMessage());
        }
        UUID id = UUID.randomUUID();
        // checked and converted in a local staging folder; only then stored, and only then recorded
        Path staging = properties.runsDir().resolve("uploads").resolve(".staging-" + id).toAbsolutePath();
        Files.createDirectories(staging);
        List<ModelArtifact.StoredFile> stored = new ArrayList<>();
        try {
            Path safetensors = staging.resolve(Checkpoints.SAFETENSORS_FILE);
            Files.copy(content, safetensors, StandardCopyOption.REPLACE_EXISTING);
            try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Model m = Models.create(spec, manager)) {
                try {
                    Safetensors.load(m.getBlock(), safetensors);
                } catch (IllegalArgumentException e) {
                    throw new InvalidRequestException("file", "the file is not a valid " + architecture.id() + " for " + datasetId.id()
                            + ": " + e.getMessage().replace(Checkpoints.SAFETENSORS_FILE, file == null ? "file" : file));
                }
                m.save(staging, Checkpoints.MODEL_NAME);
            }
            String prefix = "uploads/" + id + "/";
            ModelArtifact.StoredFile djl = store.put(prefix + Checkpoints.DJL_FILE, staging.resolve(Checkpoints.DJL_FILE));
            stored.add(djl);
            ModelArtifact.StoredFile st = store.put(prefix + Checkpoints.SAFETENSORS_FILE, safetensors);
            stored.add(st);
            Map<String, Object> provenance = new LinkedHashMap<>();
            provenance.put("source", "upload");
            provenance.put("name", name);
            provenance.put("filename", file);
            ModelArtifact artifact = new ModelArtifact(id, null, "uploaded", 0, architecture.id(), datasetId.id(), "external",
                    json.writeValueAsString(provenance), null, djl, st, clock.instant());
            artifact.setOwner(Caller.current().name());
            ModelArtifact saved = artifacts.saveAndFlush(artifact);
            stored.clear();
            return saved;
        } finally {
            store.deleteFiles(stored);
            if (Files.exists(staging)) {
                Checkpoints.deleteTree(staging);
            }
        }
    }

    private static <T> T parse(String field, String value, Supplier<T> parser, String allowed) {
        if (value == null || value.isBlank()) {
            throw new InvalidRequestException(field, field + " is required; one of " + allowed);
        }
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, field + " must be one of " + allowed + "; got '" + value + "'");
        }
    }

}
