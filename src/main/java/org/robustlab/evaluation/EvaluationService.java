package org.robustlab.evaluation;

import com.github.kagkarlsson.scheduler.Scheduler;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.job.InvalidRequestException;
import org.robustlab.job.JobNotFoundException;
import org.robustlab.runner.SchedulerConfig;
import org.springframework.stereotype.Service;
import tools.jackson.databind.ObjectMapper;

@Service
public class EvaluationService {

    private final EvaluationJobRepository evaluations;
    private final ModelArtifactRepository models;
    private final Scheduler scheduler;
    private final ObjectMapper json;

    EvaluationService(EvaluationJobRepository evaluations, ModelArtifactRepository models, Scheduler scheduler, ObjectMapper json) {
        this.evaluations = evaluations;
        this.models = models;
        this.scheduler = scheduler;
        this.json = json;
    }

    public EvaluationView submit(CreateEvaluationRequest request) {
        EvaluationPlans.attacks(request);
        ModelArtifact model = resolveModel(request);
        CreateEvaluationRequest stored = new CreateEvaluationRequest(model.getId(), request.jobId(), request.checkpoint(),
                request.testSubset(), request.attacks(), request.epsilons(), request.seed());
        EvaluationJob job = new EvaluationJob(UUID.randomUUID(), model.getId(), json.writeValueAsString(stored), Instant.now());
        evaluations.saveAndFlush(job);
        scheduler.schedule(SchedulerConfig.evaluationInstance(job.getId()), Instant.now());
        return view(job);
    }

    private ModelArtifact resolveModel(CreateEvaluationRequest r) {
        if (r.modelId() != null) {
            return models.findById(r.modelId()).orElseThrow(() -> JobNotFoundException.forId("model", r.modelId()));
        }
        if (r.jobId() == null) {
            throw new InvalidRequestException("modelId", "give modelId, or jobId with checkpoint best-robust or last");
        }
        String kind = r.checkpoint() == null ? "best-robust" : r.checkpoint();
        if (!kind.equals("best-robust") && !kind.equals("last")) {
            throw new InvalidRequestException("checkpoint", "checkpoint must be one of [best-robust, last]; got '" + kind + "'");
        }
        return models.findByJobIdAndKind(r.jobId(), kind).orElseThrow(() ->
                new JobNotFoundException("training job " + r.jobId() + " has no " + kind + " model (yet)"));
    }

    public EvaluationView get(UUID id) {
        return view(evaluations.findById(id).orElseThrow(() -> JobNotFoundException.forId("evaluation", id)));
    }

    EvaluationView view(EvaluationJob e) {
        return new EvaluationView(e.getId(), e.getModelId(), e.getState(), e.getPercent(), e.getFailureReason(), e.getDevice(),
                e.getCreatedAt(), e.getStartedAt(), e.getFinishedAt(), json.readTree(e.getRequestJson()),
                e.getReportJson() == null ? null : json.readTree(e.getReportJson()));
    }
}
