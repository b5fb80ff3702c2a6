package org.robustlab.job;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.dataset.DatasetCatalog;
import org.robustlab.device.DevicePool;
import org.robustlab.execution.Execution;
import org.robustlab.execution.JobExecutionRepository;
import org.robustlab.execution.JobExecutionView;
import org.robustlab.execution.JobKind;
import org.robustlab.execution.JobQueue;
import org.robustlab.execution.JobState;
import org.robustlab.execution.Locks;
import org.robustlab.ml.training.ComputeCost;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.problem.ConflictException;
import org.robustlab.problem.NotFoundException;
import org.robustlab.security.Caller;
import org.robustlab.security.Quotas;
import org.robustlab.security.Visibility;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import tools.jackson.databind.ObjectMapper;

/** The training-job state machine: submit (QUEUED), cancel, and the views. */
@Service
public class JobService {

    private final TrainingJobRepository jobs;
    private final EpochMetricRepository metrics;
    private final JobExecutionRepository executions;
    private final ModelArtifactRepository models;
    private final JobStore store;
    private final JobQueue queue;
    private final ObjectMapper json;
    private final JobViewCache views;
    private final DevicePool devices;
    private final DatasetCatalog datasets;
    private final Visibility visibility;
    private final Quotas quotas;
    private final Clock clock;

    JobService(TrainingJobRepository jobs, EpochMetricRepository metrics, JobExecutionRepository executions, ModelArtifactRepository models,
            JobStore store, JobQueue queue, ObjectMapper json, JobViewCache views, DevicePool devices, DatasetCatalog datasets,
            Visibility visibility, Quotas quotas, Clock clock) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.executions = executions;
        this.models = models;
        this.store = store;
        this.queue = queue;
        this.json = json;
        this.views = views;
        this.devices = devices;
        this.datasets = datasets;
        this.visibility = visibility;
        this.quotas = quotas;
        this.clock = clock;
    }

    /**
     * Checks and queues a job: the caller's submission rate, the request, the device, the data, the job's
     * estimated cost and the caller's number of active jobs, in that order; nothing is stored unless all pass.
     */
    public TrainingJobView submit(CreateTrainingJobRequest request) {
        Caller caller = Caller.current();
        quotas.submission(caller);
        return submitFor(caller.name(), request);
    }

    /** Takes one submission from the caller's rate limit (a 429 when it is spent). */
    public void checkSubmissionRate(Caller caller) {
        quotas.submission(caller);
    }

    /**
     * The request's plan, checked once and in one place: its fields ({@link TrainingPlans}), the device, the data and
     * the estimated cost; a bad value is a 4xx that names it. Stores nothing.
     */
    public TrainingJobPlan plan(CreateTrainingJobRequest request) {
        TrainingPlan training = TrainingPlans.from(request);
        devices.checkRequest(request.device());
        int images = datasets.checkTraining(training.dataset(), training.trainSubset(), training.validationSize());
        quotas.trainingCost(ComputeCost.training(training, images));
        return new TrainingJobPlan(training, request.device());
    }

    /**
     * Checks and queues a job for {@code owner}, within the owner's active-job limit (a 429 past it) but without
     * taking from a key's submission rate: a sweep's jobs are submitted this way, one request having been counted.
     */
    public TrainingJobView submitFor(String owner, CreateTrainingJobRequest request) {
        return submitFor(owner, request, null, null);
    }

    /**
     * As {@link #submitFor(String, CreateTrainingJobRequest)}, for a rung of successive halving: the job continues
     * {@code previous}'s last checkpoint (if not null; the same request) and ends after {@code stopAfter} epochs (if
     * not null) with the schedules of the request's full length.
     */
    public TrainingJobView submitFor(String owner, CreateTrainingJobRequest request, UUID previous, Integer stopAfter) {
        TrainingJobPlan plan = plan(request);
        TrainingPlan training = plan.training();
        String requestJson = json.writeValueAsString(request);
        String planJson = json.writeValueAsString(plan);
        TrainingJob job = quotas.withinActiveLimit(owner, () -> {
            TrainingJob j = new TrainingJob(UUID.randomUUID(), request.name(), training.method().method().id(), training.dataset().id(),
                    training.architecture().id(), training.epochs(), requestJson, planJson,
                    request.tags() == null ? Set.of() : request.tags(), clock.instant());
            j.setOwner(owner);
            j.setRung(previous, stopAfter);
            return jobs.saveAndFlush(j);
        });
        queue.queue(JobKind.TRAINING, job.getId());
        return view(job);
    }

    /**
     * The job's view for the current caller (404 for a job it may not read); built at most once per
     * {@link JobViewCache#TTL_MILLIS} ms while many clients poll it.
     */
    public TrainingJobView get(UUID id) {
        TrainingJobView view = cachedView(id);
        if (!visibility.canRead(view.owner())) {
            throw NotFoundException.forId("training job", id);
        }
        return view;
    }

    /** The job's view, for a stream already opened by a caller who may read it. */
    TrainingJobView cachedView(UUID id) {
        return views.get(id, () -> view(find(id)));
    }

    public Page<TrainingJobView> list(JobState state, String method, String dataset, String tag, String owner, Pageable pageable) {
        return jobs.search(state, method, dataset, tag, visibility.listOwner(owner), pageable).map(this::view);
    }

    /** The job's executions, oldest first: one per start, resumes and failovers included. */
    public List<JobExecutionView> executions(UUID id) {
        get(id);
        return executions.findByJobIdOrderByStartedAt(id).stream().map(JobExecutionView::of).toList();
    }

    public List<EpochMetrics> metrics(UUID id) {
        get(id);
        return metrics.findByJob(id).stream().map(EpochMetric::toMetrics).toList();
    }

    /**
     * Cancels a QUEUED job at once and asks a RUNNING one to stop; 409 for one that has ended. Cancels of
     * one job take turns on this instance, so that concurrent ones agree (one cancels, the others see it).
     */
    public TrainingJobView cancel(UUID id) {
        synchronized (Locks.forId(id)) {
            TrainingJob job = find(id);
            if (!visibility.canRead(job.getOwner())) {
                throw NotFoundException.forId("training job", id);
            }
            Caller.current().requireMayChange(job.getOwner(), "training job " + id);
            if (job.execution().isTerminal()) {
                throw new ConflictException("training job " + id + " is " + job.execution().getState()
                        + "; only QUEUED or RUNNING jobs can be cancelled");
            }
            return view(store.cancel(id, queue));
        }
    }

    TrainingJob find(UUID id) {
        return jobs.findById(id).orElseThrow(() -> NotFoundException.forId("training job", id));
    }

    TrainingJobView view(TrainingJob j) {
        EpochMetrics latest = j.getLatestMetrics() == null ? null : json.readValue(j.getLatestMetrics(), EpochMetrics.class);
        List<TrainingJobView.ModelRef> refs = models.findByJobIdOrderByKind(j.getId()).stream()
                .map(m -> new TrainingJobView.ModelRef(m.getId(), m.getKind(), m.getEpoch())).toList();
        Execution x = j.execution();
        return new TrainingJobView(j.getId(), j.getName(), x.getState(), j.getMethod(), j.getDataset(), j.getModel(),
                Set.copyOf(j.getTags()),
                new TrainingJobView.Progress(j.getEpoch(), j.getEpochs(), j.getBatch(), j.getBatches(), x.getPercent(), j.getEtaSeconds()),
                latest, refs, x.getFailureReason(), x.getDevice(), j.getOwner(), x.getAttempts(), x.getCreatedAt(), x.getStartedAt(),
                x.getFinishedAt(), json.readTree(j.getRequestJson()), j.getContinuesJob(), j.getStopAfterEpochs());
    }
}
