package org.robustlab.artifact;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import java.time.Instant;
import java.util.UUID;

/** A trained model's files (DJL and safetensors) with their SHA-256 and provenance. */
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
    @Column(name = "created_at")
    private Instant createdAt;

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
        this.safetensorsPath = safetensors.path();
        this.safetensorsSha256 = safetensors.sha256();
        this.safetensorsSize = safetensors.size();
        this.createdAt = createdAt;
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
    public StoredFile djl() { return new StoredFile(djlPath, djlSha256, djlSize); }
    public StoredFile safetensors() { return new StoredFile(safetensorsPath, safetensorsSha256, safetensorsSize); }
    public Instant getCreatedAt() { return createdAt; }

    /** Who created it: the name of the API key that submitted it (null for what predates keys). */
    public String getOwner() {
        return owner;
    }

    public void setOwner(String owner) {
        this.owner = owner;
    }
}
