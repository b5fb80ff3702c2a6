package org.robustlab.evaluation;

import jakarta.persistence.Column;
import jakarta.persistence.Embedded;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;
import jakarta.persistence.Version;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.execution.Executable;
import org.robustlab.execution.Execution;

/** An attack evaluation of one model, run asynchronously like a training job. */
@Entity
@Table(name = "evaluation")
public class EvaluationJob implements Executable {

    @Id
    private UUID id;
    @Column(name = "model_id")
    private UUID modelId;
    @Column(name = "request_json")
    private String requestJson;
    @Column(name = "plan_json")
    private String planJson;
    @Column(name = "report_json")
    private String reportJson;
    private String owner;
    @Embedded
    private Execution execution;
    @Version
    private long version;

    protected EvaluationJob() {}

    public EvaluationJob(UUID id, UUID modelId, String requestJson, String planJson, String owner, Instant createdAt) {
        this.id = id;
        this.modelId = modelId;
        this.requestJson = requestJson;
        this.planJson = planJson;
        this.owner = owner;
        this.execution = Execution.queued(createdAt);
    }

    @Override
    public UUID getId() { return id; }
    @Override
    public Execution execution() { return execution; }
    public UUID getModelId() { return modelId; }
    /** The request as the client sent it (with the model resolved to its id), as views show it. */
    public String getRequestJson() { return requestJson; }
    /** The validated plan the runner reads (JSON of {@link EvaluationPlan}). */
    public String getPlanJson() { return planJson; }
    public String getReportJson() { return reportJson; }
    public void setReportJson(String reportJson) { this.reportJson = reportJson; }

    /** Who created it: the name of the API key that submitted it (null for what predates keys). */
    public String getOwner() {
        return owner;
    }
}
