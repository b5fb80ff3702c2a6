package org.robustlab.job;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.runner.SchedulerConfig;
import org.robustlab.runner.TrainingRunner;
import org.robustlab.security.Caller;
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
    private final ModelArtifactRepository models;
    private final JobStore store;
    private final SchedulerClient scheduler;
    private final TrainingRunner runner;
    private final ObjectMapper json;
    private final JobViewCache views;
    private final org.robustlab.runner.DevicePool devices;
    private final org.robustlab.dataset.DatasetCatalog datasets;
    private final Visibility visibility;
    private final org.robustlab.security.Quotas quotas;

    JobService(TrainingJobRepository jobs, EpochMetricRepository metrics, ModelArtifactRepository models, JobStore store,
            SchedulerClient scheduler, TrainingRunner runner, ObjectMapper json, JobViewCache views, org.robustlab.runner.DevicePool devices,
            org.robustlab.dataset.DatasetCatalog datasets, Visibility visibility, org.robustlab.security.Quotas quotas) {
        this.visibility = visibility;
        this.quotas = quotas;
        this.devices = devices;
        this.datasets = datasets;
        this.views = views;
        this.jobs = jobs;
        this.metrics = metrics;
        this.models = models;
        this.store = store;
        this.scheduler = scheduler;
        this.runner = runner;
        this.json = json;
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

    /** Checks a request as a submission would (fields, device, data, cost), storing nothing. */
    public void check(CreateTrainingJobRequest request) {
        var plan = TrainingPlans.from(request);
        devices.checkRequest(request.device());
        int images = datasets.checkTraining(plan.dataset(), plan.trainSubset(), plan.validationSize());
        quotas.trainingCost(org.robustlab.ml.training.ComputeCost.training(plan, images));
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
        var plan = TrainingPlans.from(request);
        check(request);
        String requestJson = json.writeValueAsString(request);
        return quotas.withinActiveLimit(owner, () -> {
            TrainingJob job = new TrainingJob(UUID.randomUUID(), request.name(), plan.method().method().id(), plan.dataset().id(),
                    plan.architecture().id(), plan.epochs(), requestJson, request.tags() == null ? Set.of() : request.tags(), Instant.now());
            job.setOwner(owner);
            job.setRung(previous, stopAfter);
            jobs.saveAndFlush(job);
            schedule(job.getId());
            return view(job);
        });
    }

    /** Queues the job's execution unless one is queued already. */
    public void schedule(UUID id) {
        if (scheduler.getScheduledExecution(TaskInstanceId.of(SchedulerConfig.TRAINING_TASK, id.toString())).isEmpty()) {
            scheduler.schedule(SchedulerConfig.trainingInstance(id), Instant.now());
        }
    }

    /**
     * The job's view for the current caller (404 for a job it may not read); built at most once per
     * {@link JobViewCache#TTL_MILLIS} ms while many clients poll it.
     */
    public TrainingJobView get(UUID id) {
        TrainingJobView view = cachedView(id);
        if (!visibility.canRead(view.owner())) {
            throw JobNotFoundException.forId("training job", id);
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

    private JobExecutionRepository executions;

    @org.springframework.beans.factory.annotation.Autowired
    void setExecutions(JobExecutionRepository executions) {
        this.executions = executions;
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
        synchronized (org.robustlab.config.Problems.lockFor(id)) {
            return cancelNow(id);
        }
    }

    private TrainingJobView cancelNow(UUID id) {
        TrainingJob job = find(id);
        if (!visibility.canRead(job.getOwner())) {
            throw JobNotFoundException.forId("training job", id);
        }
        Caller.current().requireMayChange(job.getOwner(), "training job " + id);
        if (job.isTerminal()) {
            throw new IllegalTransitionException("training job " + id + " is " + job.getState() + "; only QUEUED or RUNNING jobs can be cancelled");
        }
        TrainingJob updated = store.update(id, j -> {
            if (j.getState() == JobState.QUEUED) {
                j.setState(JobState.CANCELLED);
                j.setFailureReason("cancelled before it started");
                j.setFinishedAt(Instant.now());
            } else if (!j.isTerminal()) {
                j.setCancelRequested(true);
            }
        });
        if (updated.getState() == JobState.CANCELLED) {
            scheduler.getScheduledExecution(TaskInstanceId.of(SchedulerConfig.TRAINING_TASK, id.toString()))
                    .filter(e -> !e.isPicked())
                    .ifPresent(e -> scheduler.cancel(TaskInstanceId.of(SchedulerConfig.TRAINING_TASK, id.toString())));
        } else {
            runner.cancel(id);
        }
        return view(updated);
    }

    TrainingJob find(UUID id) {
        return jobs.findById(id).orElseThrow(() -> JobNotFoundException.forId("training job", id));
    }

    TrainingJobView view(TrainingJob j) {
        EpochMetrics latest = j.getLatestMetrics() == null ? null : json.readValue(j.getLatestMetrics(), EpochMetrics.class);
        List<TrainingJobView.ModelRef> refs = models.findByJobIdOrderByKind(j.getId()).stream()
                .map(m -> new TrainingJobView.ModelRef(m.getId(), m.getKind(), m.getEpoch())).toList();
        return new TrainingJobView(j.getId(), j.getName(), j.getState(), j.getMethod(), j.getDataset(), j.getModel(),
                Set.copyOf(j.getTags()),
                new TrainingJobView.Progress(j.getEpoch(), j.getEpochs(), j.getBatch(), j.getBatches(), j.getPercent(), j.getEtaSeconds()),
                latest, refs, j.getFailureReason(), j.getDevice(), j.getOwner(), j.getAttempts(), j.getCreatedAt(), j.getStartedAt(),
                j.getFinishedAt(), json.readTree(j.getRequestJson()), j.getContinuesJob(), j.getStopAfterEpochs());
    }
}
