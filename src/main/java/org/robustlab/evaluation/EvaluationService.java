package org.robustlab.evaluation;

import com.github.kagkarlsson.scheduler.SchedulerClient;
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
    private final SchedulerClient scheduler;
    private final ObjectMapper json;
    private final EvaluationPlans plans;
    private final org.robustlab.runner.EvaluationRunner runner;
    private final org.robustlab.runner.DevicePool devices;
    private final org.robustlab.dataset.DatasetCatalog datasets;
    private final org.robustlab.security.Visibility visibility;
    private final org.robustlab.security.Quotas quotas;

    EvaluationService(EvaluationJobRepository evaluations, ModelArtifactRepository models, SchedulerClient scheduler, ObjectMapper json,
            EvaluationPlans plans, org.robustlab.runner.EvaluationRunner runner, org.robustlab.runner.DevicePool devices,
            org.robustlab.dataset.DatasetCatalog datasets, org.robustlab.security.Visibility visibility,
            org.robustlab.security.Quotas quotas) {
        this.visibility = visibility;
        this.quotas = quotas;
        this.devices = devices;
        this.datasets = datasets;
        this.runner = runner;
        this.evaluations = evaluations;
        this.models = models;
        this.scheduler = scheduler;
        this.json = json;
        this.plans = plans;
    }

    /**
     * Checks and queues an evaluation: the caller's submission rate, the attacks, the device, the model, the data,
     * the surrogates, the estimated cost and the caller's number of active jobs; nothing is stored unless all pass.
     */
    public EvaluationView submit(CreateEvaluationRequest request) {
        org.robustlab.security.Caller caller = org.robustlab.security.Caller.current();
        quotas.submission(caller);
        return submitFor(caller.name(), request);
    }

    /** Checks the attacks and the device of an evaluation request (what can be checked without its model). */
    public void checkAttacks(CreateEvaluationRequest request) {
        EvaluationPlans.attacks(request);
        devices.checkRequest(request.device());
    }

    /**
     * Checks and queues an evaluation for {@code owner}, within its active-job limit but without taking from a
     * key's submission rate (a sweep's evaluations are submitted this way).
     */
    public EvaluationView submitFor(String owner, CreateEvaluationRequest request) {
        java.util.List<org.robustlab.ml.attack.AttackSpec> attacks = EvaluationPlans.attacks(request);
        devices.checkRequest(request.device());
        ModelArtifact model = resolveModel(request);
        int points = datasets.checkTest(org.robustlab.ml.data.DatasetId.fromId(model.getDataset()),
                request.testSubset() == null ? 0 : request.testSubset());
        plans.surrogates(request, model);
        quotas.evaluationCost(org.robustlab.ml.training.ComputeCost.evaluation(
                org.robustlab.ml.model.Architecture.fromId(model.getArchitecture()), attacks, points, EvaluationPlans.diagnostics(request, attacks)));
        CreateEvaluationRequest stored = new CreateEvaluationRequest(model.getId(), request.jobId(), request.checkpoint(),
                request.testSubset(), request.attacks(), request.epsilons(), request.seed(), request.diagnostics(), request.device());
        String storedJson = json.writeValueAsString(stored);
        return quotas.withinActiveLimit(owner, () -> {
            EvaluationJob job = new EvaluationJob(UUID.randomUUID(), model.getId(), storedJson, Instant.now());
            job.setOwner(owner);
            evaluations.saveAndFlush(job);
            scheduler.schedule(SchedulerConfig.evaluationInstance(job.getId()), Instant.now());
            return view(job);
        });
    }

    private ModelArtifact resolveModel(CreateEvaluationRequest r) {
        if (r.modelId() != null) {
            return models.findById(r.modelId()).filter(m -> visibility.canRead(m.getOwner()))
                    .orElseThrow(() -> JobNotFoundException.forId("model", r.modelId()));
        }
        if (r.jobId() == null) {
            throw new InvalidRequestException("modelId", "give modelId, or jobId with checkpoint best-robust or last");
        }
        String kind = r.checkpoint() == null ? "best-robust" : r.checkpoint();
        if (!kind.equals("best-robust") && !kind.equals("last")) {
            throw new InvalidRequestException("checkpoint", "checkpoint must be one of [best-robust, last]; got '" + kind + "'");
        }
        return models.findByJobIdAndKind(r.jobId(), kind).filter(m -> visibility.canRead(m.getOwner())).orElseThrow(() ->
                new JobNotFoundException("training job " + r.jobId() + " has no " + kind + " model (yet)"));
    }

    /**
     * A succeeded evaluation's report with a title naming its model, for pages and charts; 404 for an
     * unknown id, 409 while there is no report.
     */
    public org.robustlab.report.ReportPages.Entry entry(UUID id) {
        EvaluationView view = get(id);
        if (view.report() == null) {
            throw new org.robustlab.job.IllegalTransitionException("evaluation " + id + " is " + view.state()
                    + "; its report exists once it has SUCCEEDED" + (view.failureReason() == null ? "" : " (" + view.failureReason() + ")"));
        }
        ModelArtifact m = models.findById(view.modelId()).orElse(null);
        String shortId = view.modelId().toString().substring(0, 8);
        String title = m == null ? "model " + view.modelId() : m.getMethod() + " / " + m.getArchitecture() + " / " + m.getDataset()
                + " (" + m.getKind() + (m.getKind().equals("uploaded") ? "" : ", epoch " + m.getEpoch()) + ", model " + shortId + ")";
        String label = m == null ? shortId : m.getMethod() + " " + m.getKind() + " " + shortId;
        return new org.robustlab.report.ReportPages.Entry(id.toString(), title, label, (tools.jackson.databind.JsonNode) view.report());
    }

    /**
     * Cancels a QUEUED evaluation at once, and asks a RUNNING one's worker to stop at its next batch
     * (it then ends CANCELLED); 409 for one that has ended.
     */
    public EvaluationView cancel(UUID id) {
        synchronized (org.robustlab.config.Problems.lockFor(id)) {
            return cancelNow(id);
        }
    }

    private EvaluationView cancelNow(UUID id) {
        EvaluationJob job = evaluations.findById(id).filter(e -> visibility.canRead(e.getOwner()))
                .orElseThrow(() -> JobNotFoundException.forId("evaluation", id));
        org.robustlab.security.Caller.current().requireMayChange(job.getOwner(), "evaluation " + id);
        if (job.getState().isTerminal()) {
            throw new org.robustlab.job.IllegalTransitionException("evaluation " + id + " is " + job.getState()
                    + "; only QUEUED or RUNNING evaluations can be cancelled");
        }
        if (job.getState() == org.robustlab.job.JobState.QUEUED) {
            try {
                job.setState(org.robustlab.job.JobState.CANCELLED);
                job.setFailureReason("cancelled before it started");
                job.setFinishedAt(Instant.now());
                job = evaluations.saveAndFlush(job);
                var instance = com.github.kagkarlsson.scheduler.task.TaskInstanceId.of(SchedulerConfig.EVALUATION_TASK, id.toString());
                scheduler.getScheduledExecution(instance).filter(e -> !e.isPicked()).ifPresent(e -> scheduler.cancel(instance));
                return view(job);
            } catch (org.springframework.orm.ObjectOptimisticLockingFailureException raced) {
                // it started meanwhile: cancel the running worker below
                job = evaluations.findById(id).orElseThrow();
            }
        }
        // recorded in the database, where the instance that runs it (this or another) sees it at its next progress
        // write; a worker of this instance is told at once
        for (int attempt = 0; ; attempt++) {
            try {
                EvaluationJob current = evaluations.findById(id).orElseThrow();
                if (current.getState().isTerminal()) {
                    return view(current);
                }
                current.setCancelRequested(true);
                job = evaluations.saveAndFlush(current);
                break;
            } catch (org.springframework.orm.ObjectOptimisticLockingFailureException raced) {
                if (attempt >= 5) {
                    throw raced;
                }
            }
        }
        runner.cancel(id);
        return view(job);
    }

    /** Evaluations the caller may read, filtered by state, owner, model or the job whose models they evaluate. */
    public org.springframework.data.domain.Page<EvaluationView> list(org.robustlab.job.JobState state, String owner, UUID modelId,
            UUID jobId, org.springframework.data.domain.Pageable pageable) {
        return evaluations.search(state, visibility.listOwner(owner), modelId, jobId, pageable).map(this::view);
    }

    /** Every SUCCEEDED evaluation the caller may read (for the leaderboard). */
    public java.util.List<EvaluationView> succeeded() {
        return evaluations.findByState(org.robustlab.job.JobState.SUCCEEDED).stream()
                .filter(e -> visibility.canRead(e.getOwner())).map(this::view).toList();
    }

    public EvaluationView get(UUID id) {
        return view(evaluations.findById(id).filter(e -> visibility.canRead(e.getOwner()))
                .orElseThrow(() -> JobNotFoundException.forId("evaluation", id)));
    }

    EvaluationView view(EvaluationJob e) {
        return new EvaluationView(e.getId(), e.getModelId(), e.getState(), e.getPercent(), e.getFailureReason(), e.getDevice(),
                e.getOwner(), e.getCreatedAt(), e.getStartedAt(), e.getFinishedAt(), json.readTree(e.getRequestJson()),
                e.getReportJson() == null ? null : json.readTree(e.getReportJson()));
    }
}
