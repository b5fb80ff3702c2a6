package org.robustlab.artifact;

import ai.djl.Device;
import ai.djl.MalformedModelException;
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
import org.robustlab.dataset.DatasetCatalog;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;
import org.robustlab.ml.model.TorchScript;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.Problems;
import org.robustlab.security.Caller;
import org.robustlab.security.Quotas;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/**
 * Models trained elsewhere: a safetensors file in the PyTorch layout for an architecture the service
 * knows, or any network as a TorchScript archive. The file is streamed to a staging folder and checked there: a
 * safetensors file is loaded into the architecture (every tensor present, with its exact shape, as F32, nothing extra)
 * and converted to DJL's format; a TorchScript archive is checked in a worker process ({@link ModelInspector}). Only then
 * is it moved into place and recorded. A bad file leaves nothing behind.
 */
@Component
public class ModelUploads {

    private final ModelArtifactRepository artifacts;
    private final RobustLabProperties properties;
    private final ObjectMapper json;

    private final Quotas quotas;
    private final ArtifactStore store;
    private final Clock clock;
    private final ModelInspector inspector;
    private final DatasetCatalog datasets;

    ModelUploads(ModelArtifactRepository artifacts, RobustLabProperties properties, ObjectMapper json, ArtifactStore store, Quotas quotas,
            Clock clock, ModelInspector inspector, DatasetCatalog datasets) {
        this.inspector = inspector;
        this.datasets = datasets;
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
    public ModelArtifact upload(InputStream content, String filename, String model, String dataset, String name,
            TorchScriptOptions options) throws IOException {
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
        List<String> models = new ArrayList<>(Arrays.stream(Architecture.values()).map(Architecture::id).toList());
        models.add(ModelArtifact.FORMAT_TORCHSCRIPT);
        DatasetId datasetId = parse("dataset", dataset, () -> DatasetId.fromId(dataset), Arrays.toString(
                Arrays.stream(DatasetId.values()).map(DatasetId::id).toArray()));
        TorchScriptOptions o = options == null ? new TorchScriptOptions(null, null, null) : options;
        if (ModelArtifact.FORMAT_TORCHSCRIPT.equals(model)) {
            return uploadTorchScript(content, file, datasetId, name, o);
        }
        if (o.numClasses() != null && !o.numClasses().isBlank()) {
            throw new InvalidRequestException("numClasses", "numClasses is for model=torchscript; a " + model
                    + " takes its classes from the dataset");
        }
        Architecture architecture = parse("model", model, () -> Architecture.fromId(model), models.toString());
        float[][] normalization = normalization(o, datasetId);
        ModelSpec spec;
        try {
            spec = normalization == null ? ModelSpec.of(architecture, datasetId) : new ModelSpec(architecture, datasetId.shape(),
                    datasetId.numClasses(), normalization[0], normalization[1]);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("model", e.getMessage());
        }
        return staged((id, staging, stored) -> {
            Path uploaded = staging.resolve("upload.safetensors");
            Files.copy(content, uploaded, StandardCopyOption.REPLACE_EXISTING);
            Path safetensors = staging.resolve(Checkpoints.SAFETENSORS_FILE);
            List<String> adjustments;
            try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Model m = Models.create(spec, manager)) {
                try {
                    adjustments = Safetensors.load(m.getBlock(), uploaded);
                } catch (IllegalArgumentException e) {
                    throw new InvalidRequestException("file", "the file is not a valid " + architecture.id() + " for " + datasetId.id()
                            + ": " + e.getMessage().replace("upload.safetensors", file == null ? "file" : file));
                }
                m.save(staging, Checkpoints.MODEL_NAME);
                if (adjustments.isEmpty() && normalization == null) {
                    Files.move(uploaded, safetensors);
                } else {
                    // the file under RobustLab's names, with the normalisation the model was given, so that a download loads
                    // strictly into the PyTorch definition
                    Safetensors.write(m.getBlock(), safetensors, Map.of("architecture", architecture.id(), "dataset",
                            datasetId.id()), 0);
                }
            }
            String prefix = "uploads/" + id + "/";
            ModelArtifact.StoredFile djl = store.put(prefix + Checkpoints.DJL_FILE, staging.resolve(Checkpoints.DJL_FILE));
            stored.add(djl);
            ModelArtifact.StoredFile st = store.put(prefix + Checkpoints.SAFETENSORS_FILE, safetensors);
            stored.add(st);
            Map<String, Object> provenance = provenanceOf(name, file);
            if (!adjustments.isEmpty()) {
                provenance.put("names", adjustments);
            }
            ModelArtifact artifact = new ModelArtifact(id, null, "uploaded", 0, architecture.id(), datasetId.id(), "external",
                    json.writeValueAsString(provenance), null, djl, st, clock.instant());
            if (normalization != null) {
                artifact.setNormalization(json.writeValueAsString(Map.of("mean", normalization[0], "std", normalization[1])));
            }
            return artifact;
        });
    }

    /** What an upload does with its staging folder: check the file there, store what is kept, and return the record. */
    @FunctionalInterface
    private interface Staging {
        ModelArtifact run(UUID id, Path staging, List<ModelArtifact.StoredFile> stored) throws IOException;
    }

    /**
     * Runs {@code work} in a fresh local staging folder, then records what it returns with its owner. Whatever fails
     * (a bad file, the store, the database) removes the files {@code work} stored; the staging folder always goes.
     */
    private ModelArtifact staged(Staging work) throws IOException {
        UUID id = UUID.randomUUID();
        Path staging = properties.runsDir().resolve("uploads").resolve(".staging-" + id).toAbsolutePath();
        Files.createDirectories(staging);
        List<ModelArtifact.StoredFile> stored = new ArrayList<>();
        try {
            ModelArtifact artifact = work.run(id, staging, stored);
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

    private String provenance(String name, String file) {
        return json.writeValueAsString(provenanceOf(name, file));
    }

    private static Map<String, Object> provenanceOf(String name, String file) {
        Map<String, Object> provenance = new LinkedHashMap<>();
        provenance.put("source", "upload");
        provenance.put("name", name);
        provenance.put("filename", file);
        return provenance;
    }

    /** The upload's mean and std (one value per channel each), or null when it gives neither. */
    private static float[][] normalization(TorchScriptOptions o, DatasetId dataset) {
        int channels = dataset.shape().channels();
        float[] mean = channelValues("mean", o.mean(), channels, false);
        float[] std = channelValues("std", o.std(), channels, true);
        if ((mean == null) != (std == null)) {
            throw new InvalidRequestException(mean == null ? "mean" : "std", "mean and std go together: give both (one value per"
                    + " channel each) or neither");
        }
        return mean == null ? null : new float[][] {mean, std};
    }

    /**
     * An upload's optional parts, as sent (each may be null): numClasses is for TorchScript only, mean and std for any model.
     *
     * @param numClasses the classes its logits have; default the dataset's
     * @param mean per-channel mean, comma-separated
     * @param std per-channel standard deviation, comma-separated
     */
    public record TorchScriptOptions(String numClasses, String mean, String std) {}

    private ModelArtifact uploadTorchScript(InputStream content, String file, DatasetId dataset, String name, TorchScriptOptions o)
            throws IOException {
        int channels = dataset.shape().channels();
        int classes = dataset.numClasses();
        if (o.numClasses() != null && !o.numClasses().isBlank()) {
            try {
                classes = Integer.parseInt(o.numClasses().trim());
            } catch (NumberFormatException e) {
                classes = -1;
            }
            if (classes < 2 || classes > 100_000) {
                throw new InvalidRequestException("numClasses", "numClasses must be a whole number from 2 to 100000; got '"
                        + Problems.clip(o.numClasses()) + "'");
            }
            if (classes != dataset.numClasses()) {
                throw new InvalidRequestException("numClasses", "numClasses is " + classes + " but " + dataset.id() + " has "
                        + dataset.numClasses() + " classes; the model's logits must have one per class of its dataset");
            }
        }
        float[][] given = normalization(o, dataset);
        float[] mean = given == null ? null : given[0];
        float[] std = given == null ? null : given[1];
        // the checks run the model on the dataset's test images
        datasets.checkTest(dataset, 0);
        int numClasses = classes;
        return staged((id, staging, stored) -> {
            Path archive = staging.resolve(ArtifactStore.TORCHSCRIPT_FILE);
            long limit = properties.limits().maxTorchScriptSize().toBytes();
            if (!copyAtMost(content, archive, limit)) {
                throw new InvalidRequestException("file", "the archive is over " + limit + " bytes, the largest TorchScript archive"
                        + " this service takes (robustlab.limits.max-torch-script-size)");
            }
            try {
                TorchScript.archive(archive);
            } catch (MalformedModelException e) {
                throw new InvalidRequestException("file", "the file is not a TorchScript model: " + e.getMessage());
            }
            ModelInspector.Inspection inspection = inspector.inspect(archive, dataset, numClasses, mean, std);
            ModelArtifact.StoredFile pt = store.put("uploads/" + id + "/" + ArtifactStore.TORCHSCRIPT_FILE, archive);
            stored.add(pt);
            String normalization = mean == null ? null : json.writeValueAsString(Map.of("mean", mean, "std", std));
            return ModelArtifact.torchScript(id, dataset.id(), provenance(name, file), pt, numClasses, normalization,
                    inspection.parameters(), inspection.costPerImage(), json.writeValueAsString(inspection), clock.instant());
        });
    }

    /** Copies {@code in} to {@code file} unless it holds more than {@code limit} bytes: then false, having read one past it. */
    private static boolean copyAtMost(InputStream in, Path file, long limit) throws IOException {
        try (var out = Files.newOutputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            int n;
            while ((n = in.read(buffer)) > 0) {
                total += n;
                if (total > limit) {
                    return false;
                }
                out.write(buffer, 0, n);
            }
        }
        return true;
    }

    /** One value per channel from a comma-separated part, or null when it is absent. */
    private static float[] channelValues(String field, String value, int channels, boolean positive) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String[] parts = value.split(",");
        if (parts.length != channels) {
            throw new InvalidRequestException(field, field + " needs one value per channel of the dataset's images (" + channels
                    + "), comma-separated; got " + parts.length);
        }
        float[] out = new float[channels];
        for (int i = 0; i < channels; i++) {
            try {
                out[i] = Float.parseFloat(parts[i].trim());
            } catch (NumberFormatException e) {
                out[i] = Float.NaN;
            }
            if (!Float.isFinite(out[i]) || positive && !(out[i] > 0) || Math.abs(out[i]) > 1e3) {
                throw new InvalidRequestException(field, field + "'s value " + (i + 1) + " must be a finite number" + (positive
                        ? " greater than 0" : "") + " of at most 1000 in size; got '" + Problems.clip(parts[i].trim()) + "'");
            }
        }
        return out;
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
