package org.robustlab.evaluation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Optional;
import java.util.List;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.execution.Execution;
import org.robustlab.execution.JobKind;
import org.robustlab.execution.JobQueue;
import org.robustlab.execution.JobState;
import org.robustlab.execution.Locks;
import org.robustlab.problem.ConflictException;
import org.robustlab.problem.NotFoundException;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.report.ReportPages;
import org.robustlab.storage.ObjectStore;
import org.robustlab.security.Caller;
import org.robustlab.security.Quotas;
import org.robustlab.security.Visibility;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The evaluation state machine: submit (QUEUED), cancel, and the views and reports. */
@Service
public class EvaluationService {

    private final EvaluationJobRepository evaluations;
    private final EvaluationStore store;
    private final ModelArtifactRepository models;
    private final JobQueue queue;
    private final ObjectMapper json;
    private final EvaluationPlans plans;
    private final Visibility visibility;
    private final Quotas quotas;
    private final Clock clock;
    private final ObjectStore objects;

    EvaluationService(EvaluationJobRepository evaluations, EvaluationStore store, ModelArtifactRepository models, JobQueue queue,
            ObjectMapper json, EvaluationPlans plans, Visibility visibility, Quotas quotas, Clock clock, ObjectStore objects) {
        this.objects = objects;
        this.evaluations = evaluations;
        this.store = store;
        this.models = models;
        this.queue = queue;
        this.json = json;
        this.plans = plans;
        this.visibility = visibility;
        this.quotas = quotas;
        this.clock = clock;
    }

    /**
     * Checks and queues an evaluation: the caller's submission rate, the attacks, the device, the model, the data,
     * the surrogates, the estimated cost and the caller's number of active jobs; nothing is stored unless all pass.
     */
    public EvaluationView submit(CreateEvaluationRequest request) {
        Caller caller = Caller.current();
        quotas.submission(caller);
        return submitFor(caller.name(), request);
    }

    /** Checks the attacks and the device of an evaluation request (what can be checked without its model). */
    public void checkAttacks(CreateEvaluationRequest request) {
        plans.checkAttacks(request);
    }

    /**
     * Checks and queues an evaluation for {@code owner}, within its active-job limit but without taking from a
     * key's submission rate (a sweep's evaluations are submitted this way).
     */
    public EvaluationView submitFor(String owner, CreateEvaluationRequest request) {
        EvaluationPlan plan = plans.plan(request);
        CreateEvaluationRequest stored = new CreateEvaluationRequest(plan.modelId(), request.jobId(), request.checkpoint(),
                request.testSubset(), request.attacks(), request.epsilons(), request.seed(), request.diagnostics(), request.device());
        String requestJson = json.writeValueAsString(stored);
        String planJson = json.writeValueAsString(plan);
        EvaluationJob job = quotas.withinActiveLimit(owner, () -> evaluations.saveAndFlush(
                new EvaluationJob(UUID.randomUUID(), plan.modelId(), requestJson, planJson, owner, clock.instant())));
        queue.queue(JobKind.EVALUATION, job.getId());
        return view(job);
    }

    /**
     * A succeeded evaluation's report with a title naming its model, for pages and charts; 404 for an
     * unknown id, 409 while there is no report.
     */
    public ReportPages.Entry entry(UUID id) {
        EvaluationView view = get(id);
        if (view.report() == null) {
            throw new ConflictException("evaluation " + id + " is " + view.state() + "; its report exists once it has SUCCEEDED"
                    + (view.failureReason() == null ? "" : " (" + view.failureReason() + ")"));
        }
        ModelArtifact m = models.findById(view.modelId()).orElse(null);
        String shortId = view.modelId().toString().substring(0, 8);
        String title = m == null ? "model " + view.modelId() : m.getMethod() + " / " + m.getArchitecture() + " / " + m.getDataset()
                + " (" + m.getKind() + (m.getKind().equals("uploaded") ? "" : ", epoch " + m.getEpoch()) + ", model " + shortId + ")";
        String label = m == null ? shortId : m.getMethod() + " " + m.getKind() + " " + shortId;
        return new ReportPages.Entry(id.toString(), title, label, (JsonNode) view.report());
    }

    /**
     * The per-example record of a SUCCEEDED evaluation the caller may read (404 and 409 as {@link #entry}); empty for one
     * that ran before evaluations kept records.
     */
    public Optional<ExampleRecord> examples(UUID id) {
        entry(id);
        return records(id);
    }

    private Optional<ExampleRecord> records(UUID id) {
        try {
            return objects.read("evaluations/" + id + "/" + ExampleRecord.FILE)
                    .map(bytes -> ExampleRecord.readCsv(new String(bytes, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the per-example record of evaluation " + id, e);
        }
    }

    /**
     * A model's best-known robust accuracy at each epsilon its evaluations ran: on the test points that all of them
     * covered (the first N of the test set, N the smallest), a point counts as robust only if it is classified correctly
     * and no attack of any evaluation of the model broke it. Evaluations without a per-example record do not count; 404
     * for a model the caller may not read.
     */
    public List<BestKnown> bestKnown(UUID modelId) {
        models.findById(modelId).filter(m -> visibility.canRead(m.getOwner())).orElseThrow(() -> NotFoundException.forId("model", modelId));
        List<ExampleRecord> records = new ArrayList<>();
        for (EvaluationJob e : evaluations.findByModelId(modelId)) {
            if (e.execution().getState() == JobState.SUCCEEDED && readable(e)) {
                records(e.getId()).ifPresent(records::add);
            }
        }
        return BestKnown.of(records);
    }

    /**
     * Cancels a QUEUED evaluation at once, and asks a RUNNING one's worker to stop at its next batch
     * (it then ends CANCELLED); 409 for one that has ended.
     */
    public EvaluationView cancel(UUID id) {
        synchronized (Locks.forId(id)) {
            EvaluationJob job = evaluations.findById(id).filter(this::readable)
                    .orElseThrow(() -> NotFoundException.forId("evaluation", id));
            Caller.current().requireMayChange(job.getOwner(), "evaluation " + id);
            if (job.execution().isTerminal()) {
                throw new ConflictException("evaluation " + id + " is " + job.execution().getState()
                        + "; only QUEUED or RUNNING evaluations can be cancelled");
            }
            return view(store.cancel(id, queue));
        }
    }

    /** Evaluations the caller may read, filtered by state, owner, model or the job whose models they evaluate. */
    public Page<EvaluationView> list(JobState state, String owner, UUID modelId, UUID jobId, Pageable pageable) {
        return evaluations.search(state, visibility.listOwner(owner), modelId, jobId, visibility.readableOwner(), pageable)
                .map(this::view);
    }

    /** Every SUCCEEDED evaluation the caller may read (for the leaderboard). */
    public List<EvaluationView> succeeded() {
        return evaluations.findByExecutionState(JobState.SUCCEEDED).stream()
                .filter(this::readable).map(this::view).toList();
    }

    public EvaluationView get(UUID id) {
        return view(evaluations.findById(id).filter(this::readable)
                .orElseThrow(() -> NotFoundException.forId("evaluation", id)));
    }

    /**
     * Whether the caller may read an evaluation now: its own (or any, with open reads or as an admin), of a model it may
     * read now. An evaluation made while reads were open may be of another owner's model; under private reads it is not
     * shown, so that its answers do not name that model, its job or its name.
     */
    private boolean readable(EvaluationJob e) {
        if (!visibility.canRead(e.getOwner())) {
            return false;
        }
        String only = visibility.readableOwner();
        return only == null || models.findById(e.getModelId()).map(m -> only.equals(m.getOwner())).orElse(true);
    }

    EvaluationView view(EvaluationJob e) {
        Execution x = e.execution();
        return new EvaluationView(e.getId(), e.getModelId(), x.getState(), x.getPercent(), x.getFailureReason(), x.getDevice(),
                e.getOwner(), x.getCreatedAt(), x.getStartedAt(), x.getFinishedAt(), json.readTree(e.getRequestJson()),
                e.getReportJson() == null ? null : json.readTree(e.getReportJson()));
    }
}
