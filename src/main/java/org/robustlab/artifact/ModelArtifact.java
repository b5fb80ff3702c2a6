package org.robustlab.artifact;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/**
 * A model's files with their SHA-256 and provenance: for a built-in architecture ({@code format} djl) its DJL parameters
 * and safetensors; for a lab's own model ({@code format} torchscript) its TorchScript archive, in the model-file columns,
 * with what the checks measured when it was uploaded.
 */
@Entity
@Table(name = "model_artifact")
public class ModelArtifact {

    @Id
    private UUID id;
    @Column(name = "job_id")
    private UUID jobId;
    private String kind;
    private int epoch;
    private String architecture;
    private String dataset;
    private String method;
    private String hyperparameters;
    private String metrics;
    @Column(name = "djl_path")
    private String djlPath;
    @Column(name = "djl_sha256")
    private String djlSha256;
    @Column(name = "djl_size")
    private long djlSize;
    @Column(name = "safetensors_path")
    private String safetensorsPath;
    @Column(name = "safetensors_sha256")
    private String safetensorsSha256;
    @Column(name = "safetensors_size")
    private long safetensorsSize;
    private String owner;
    private String format = FORMAT_DJL;
    @Column(name = "num_classes")
    private Integer numClasses;
    private String normalization;
    @Column(name = "parameter_count")
    private Long parameterCount;
    @Column(name = "cost_per_image")
    private Double costPerImage;
    private String checks;
    @Column(name = "created_at")
    private Instant createdAt;

    /** A built-in architecture's DJL parameters (and safetensors). */
    public static final String FORMAT_DJL = "djl";
    /** A lab's own model as a TorchScript archive. */
    public static final String FORMAT_TORCHSCRIPT = "torchscript";

    protected ModelArtifact() {}

    public ModelArtifact(UUID id, UUID jobId, String kind, int epoch, String architecture, String dataset, String method,
            String hyperparameters, String metrics, StoredFile djl, StoredFile safetensors, Instant createdAt) {
        this.id = id;
        this.jobId = jobId;
        this.kind = kind;
        this.epoch = epoch;
        this.architecture = architecture;
        this.dataset = dataset;
        this.method = method;
        this.hyperparameters = hyperparameters;
        this.metrics = metrics;
        this.djlPath = djl.path();
        this.djlSha256 = djl.sha256();
        this.djlSize = djl.size();
        if (safetensors != null) {
            this.safetensorsPath = safetensors.path();
            this.safetensorsSha256 = safetensors.sha256();
            this.safetensorsSize = safetensors.size();
        }
        this.createdAt = createdAt;
    }

    /**
     * A lab's own model: its TorchScript {@code archive}, the classes its logits have, its input normalisation (JSON, or
     * null), and what its checks measured ({@code checks}, JSON).
     */
    public static ModelArtifact torchScript(UUID id, String dataset, String provenance, StoredFile archive, int numClasses,
            String normalization, long parameterCount, double costPerImage, String checks, Instant createdAt) {
        ModelArtifact m = new ModelArtifact(id, null, "uploaded", 0, FORMAT_TORCHSCRIPT, dataset, "external", provenance, null,
                archive, null, createdAt);
        m.format = FORMAT_TORCHSCRIPT;
        m.numClasses = numClasses;
        m.normalization = normalization;
        m.parameterCount = parameterCount;
        m.costPerImage = costPerImage;
        m.checks = checks;
        return m;
    }

    /** A file on disk with its checksum. */
    public record StoredFile(String path, String sha256, long size) {}

    public UUID getId() { return id; }
    public UUID getJobId() { return jobId; }
    public String getKind() { return kind; }
    public int getEpoch() { return epoch; }
    public String getArchitecture() { return architecture; }
    public String getDataset() { return dataset; }
    public String getMethod() { return method; }
    public String getHyperparameters() { return hyperparameters; }
    public String getMetrics() { return metrics; }
    /** The file workers load: the DJL parameters, or the TorchScript archive. */
    public StoredFile djl() { return new StoredFile(djlPath, djlSha256, djlSize); }
    /** The safetensors file; null for a TorchScript model. */
    public StoredFile safetensors() {
        return safetensorsPath == null ? null : new StoredFile(safetensorsPath, safetensorsSha256, safetensorsSize);
    }
    public String getFormat() { return format; }
    public boolean isTorchScript() { return FORMAT_TORCHSCRIPT.equals(format); }
    /** The classes a TorchScript model's logits have; null for a built-in architecture (its dataset's). */
    public Integer getNumClasses() { return numClasses; }
    /**
     * The input normalisation given with an upload as JSON ({"mean": [...], "std": [...]}), or null: a TorchScript model
     * without one takes [0,1] pixels as they are, a built-in architecture without one normalises with its dataset's.
     */
    public String getNormalization() { return normalization; }
    /** An uploaded built-in architecture's own normalisation (JSON), given with the upload in place of the dataset's. */
    void setNormalization(String normalization) { this.normalization = normalization; }
    public Long getParameterCount() { return parameterCount; }
    /** A TorchScript model's forward pass relative to SmallCNN's, measured when it was checked; null otherwise. */
    public Double getCostPerImage() { return costPerImage; }
    /** What a TorchScript model's checks measured when it was uploaded (JSON), or null. */
    public String getChecks() { return checks; }
    public Instant getCreatedAt() { return createdAt; }

    /** Who created it: the name of the API key that submitted it (null for what predates keys). */
    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }
}
