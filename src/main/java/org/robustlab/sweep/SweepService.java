package org.robustlab.sweep;

import jakarta.validation.Validator;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.robustlab.evaluation.EvaluationService;
import org.robustlab.evaluation.EvaluationView;
import org.robustlab.execution.JobState;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.EpochMetric;
import org.robustlab.job.EpochMetricRepository;
import org.robustlab.job.JobService;
import org.robustlab.job.TrainingJobView;
import org.robustlab.job.TrainingPlans;
import org.robustlab.problem.ConflictException;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.NotFoundException;
import org.robustlab.security.Caller;
import org.robustlab.security.Visibility;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.Pageable;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Sweeps: checked and stored at once; their members are submitted and followed by {@link SweepCoordinator}. */
@Service
public class SweepService {

    static final TypeReference<Map<String, UUID>> EVALUATIONS = new TypeReference<>() {};

    private final SweepRepository sweeps;
    private final SweepMemberRepository members;
    private final SweepPlans plans;
    private final JobService jobs;
    private final EvaluationService evaluations;
    private final EpochMetricRepository metrics;
    private final Visibility visibility;
    private final ObjectMapper json;
    private final TransactionTemplate tx;
    private final Validator validator;
    private final Clock clock;

    SweepService(SweepRepository sweeps, SweepMemberRepository members, SweepPlans plans, JobService jobs, EvaluationService evaluations,
            EpochMetricRepository metrics, Visibility visibility, ObjectMapper json, TransactionTemplate tx, Validator validator, Clock clock) {
        this.validator = validator;
        this.clock = clock;
        this.sweeps = sweeps;
        this.members = members;
        this.plans = plans;
        this.jobs = jobs;
        this.evaluations = evaluations;
        this.metrics = metrics;
        this.visibility = visibility;
        this.json = json;
        this.tx = tx;
    }

    /**
     * Checks every member's training request as a job submission would (fields, data, device, cost) and the
     * evaluation request, then stores the sweep and its members; nothing runs until the coordinator submits them.
     */
    public SweepView create(CreateSweepRequest request) {
        Caller caller = Caller.current();
        jobs.checkSubmissionRate(caller);
        String strategy = request.strategy() == null ? "grid" : request.strategy();
        if (!strategy.equals("grid") && !strategy.equals("asha")) {
            throw new InvalidRequestException("strategy", "strategy must be grid or asha; got '" + strategy + "'");
        }
        if (strategy.equals("grid") && request.halving() != null) {
            throw new InvalidRequestException("halving", "halving is for strategy asha; this sweep's strategy is grid");
        }
        if (request.evaluation().request().modelId() != null || request.evaluation().request().jobId() != null) {
            throw new InvalidRequestException("evaluation.request", "evaluation.request names no model or job: the sweep evaluates"
                    + " each of its jobs' models");
        }
        evaluations.checkAttacks(request.evaluation().request());
        List<SweepPlans.Planned> planned = plans.expand(request);
        UUID id = UUID.randomUUID();
        String tag = "sweep-" + id.toString().substring(0, 8);
        List<SweepMember> rows = new ArrayList<>();
        int fewestEpochs = Integer.MAX_VALUE;
        for (SweepPlans.Planned p : planned) {
            ObjectNode r = p.request();
            String base = request.name() == null || request.name().isBlank() ? "sweep " + id.toString().substring(0, 8) : request.name();
            String name = base + " / " + p.config() + (p.seed() == null ? "" : " / seed " + p.seed());
            r.put("name", name.length() > 200 ? name.substring(0, 200) : name);
            var tags = r.has("tags") && r.get("tags").isArray() ? (ArrayNode) r.get("tags") : r.putArray("tags");
            tags.add(tag);
            CreateTrainingJobRequest job;
            try {
                job = json.treeToValue(r, CreateTrainingJobRequest.class);
                var violations = validator.validate(job);
                if (!violations.isEmpty()) {
                    var v = violations.iterator().next();
                    throw new InvalidRequestException(v.getPropertyPath().toString(), v.getPropertyPath() + " " + v.getMessage()
                            + "; got " + v.getInvalidValue());
                }
                jobs.plan(job);
            } catch (InvalidRequestException e) {
                throw new InvalidRequestException(p.baseline() == null ? "grid" : "baselines",
                        "configuration '" + p.config() + "': " + e.getMessage());
            } catch (JacksonException e) {
                throw new InvalidRequestException(p.baseline() == null ? "grid" : "baselines",
                        "configuration '" + p.config() + "' is not a valid training request: " + e.getOriginalMessage());
            }
            rows.add(new SweepMember(id, rows.size(), p.config(), p.baseline(), p.seed(), json.writeValueAsString(job)));
            if (p.baseline() == null) {
                fewestEpochs = Math.min(fewestEpochs, TrainingPlans.from(job).epochs());
            }
        }
        CreateSweepRequest stored = request;
        if (strategy.equals("asha") && fewestEpochs == Integer.MAX_VALUE) {
            throw new InvalidRequestException("grid", "strategy asha prunes the grid's configurations, and this sweep has none");
        }
        if (strategy.equals("asha")) {
            stored = withRungs(request, fewestEpochs);
            int rungs = stored.halving().rungs().size();
            rows.forEach(m -> m.setRung(m.getBaseline() == null ? 0 : rungs)); // baselines train their full schedule at once
        }
        Sweep sweep = new Sweep(id, request.name(), caller.name(), strategy, json.writeValueAsString(stored), clock.instant());
        tx.executeWithoutResult(s -> {
            sweeps.saveAndFlush(sweep);
            members.saveAllAndFlush(rows);
        });
        return view(sweep);
    }

    /**
     * The request with successive halving's rungs settled (the defaults when none were given), checked against the
     * configurations' epochs: rungs increase and end before the fewest epochs of any configuration.
     */
    private static CreateSweepRequest withRungs(CreateSweepRequest r, int epochs) {
        CreateSweepRequest.Halving h = r.halving() == null ? new CreateSweepRequest.Halving(null, null) : r.halving();
        List<Integer> rungs = h.rungs() == null ? SweepHalving.defaultRungs(epochs, h.factor()) : h.rungs();
        if (rungs.isEmpty()) {
            throw new InvalidRequestException("halving.rungs", "with " + epochs + " epochs and reduction factor " + h.factor()
                    + " there is no rung below the last epoch; give halving.rungs or more epochs");
        }
        for (int i = 0; i < rungs.size(); i++) {
            if (rungs.get(i) >= epochs || (i > 0 && rungs.get(i) <= rungs.get(i - 1))) {
                throw new InvalidRequestException("halving.rungs", "halving.rungs must increase and stay below the configurations'"
                        + " epochs (" + epochs + "); got " + rungs);
            }
        }
        return new CreateSweepRequest(r.name(), r.base(), r.grid(), r.baselines(), r.evaluation(), r.strategy(),
                new CreateSweepRequest.Halving(List.copyOf(rungs), h.factor()));
    }

    public SweepView get(UUID id) {
        return view(find(id));
    }

    public Page<SweepView> list(String owner, Pageable pageable) {
        return sweeps.search(visibility.listOwner(owner), pageable).map(this::view);
    }

    Sweep find(UUID id) {
        return sweeps.findById(id).filter(s -> visibility.canRead(s.getOwner())).orElseThrow(() -> NotFoundException.forId("sweep", id));
    }

    /** Cancels the sweep: members not submitted never are, and its running jobs and evaluations are cancelled. */
    public SweepView cancel(UUID id) {
        Sweep sweep = find(id);
        Caller.current().requireMayChange(sweep.getOwner(), "sweep " + id);
        if (sweep.getState().isTerminal()) {
            throw new ConflictException("sweep " + id + " is " + sweep.getState() + "; only a RUNNING sweep can be cancelled");
        }
        Sweep updated = tx.execute(s -> {
            Sweep fresh = sweeps.findById(id).orElseThrow();
            fresh.setCancelRequested(true);
            return sweeps.saveAndFlush(fresh);
        });
        for (SweepMember m : members.findBySweepIdOrderByPosition(id)) {
            cancelRunning(m);
        }
        return view(updated);
    }

    /** Cancels the member's job or evaluations if they are still active (those that have ended are left as they are). */
    void cancelRunning(SweepMember m) {
        try {
            if (m.getJobId() != null && m.getState().equals(SweepMember.TRAINING)) {
                jobs.cancel(m.getJobId());
            }
            if (m.getEvaluationsJson() != null && m.getState().equals(SweepMember.EVALUATING)) {
                for (UUID e : json.readValue(m.getEvaluationsJson(), EVALUATIONS).values()) {
                    try {
                        evaluations.cancel(e);
                    } catch (ConflictException ended) {
                        // already ended
                    }
                }
            }
        } catch (ConflictException ended) {
            // already ended
        }
    }

    /** The sweep's table (rows of its evaluated members), for JSON and CSV. */
    public List<SweepResults.SweepRow> results(UUID id) {
        Sweep sweep = find(id);
        List<SweepResults.Outcome> outcomes = new ArrayList<>();
        for (SweepMember m : members.findBySweepIdOrderByPosition(sweep.getId())) {
            if (!m.getState().equals(SweepMember.DONE) || m.getEvaluationsJson() == null) {
                continue;
            }
            var ms = jobsOf(m).stream().flatMap(j -> metrics.findByJob(j).stream()).map(EpochMetric::toMetrics).toList();
            double seconds = ms.stream().mapToDouble(x -> x.seconds()).sum();
            double ips = ms.stream().mapToDouble(x -> x.imagesPerSecond()).average().orElse(Double.NaN);
            TrainingJobView job = jobs.get(m.getJobId());
            for (Map.Entry<String, UUID> e : json.readValue(m.getEvaluationsJson(), EVALUATIONS).entrySet()) {
                EvaluationView ev = evaluations.get(e.getValue());
                if (ev.state() != JobState.SUCCEEDED || ev.report() == null) {
                    continue;
                }
                outcomes.add(new SweepResults.Outcome(m.getConfig(), m.getBaseline(), m.getSeed() == null ? 0 : m.getSeed(), e.getKey(),
                        json.valueToTree(ev.report()), seconds, ips, job.device()));
            }
        }
        return SweepResults.rows(outcomes);
    }

    public String csv(UUID id) {
        return SweepResults.csv(results(id));
    }

    static final TypeReference<List<UUID>> JOBS = new TypeReference<>() {};

    /** The member's jobs, one per rung (its one job for members stored before rungs existed). */
    List<UUID> jobsOf(SweepMember m) {
        if (m.getJobsJson() != null) {
            return json.readValue(m.getJobsJson(), JOBS);
        }
        return m.getJobId() == null ? List.of() : List.of(m.getJobId());
    }

    SweepView view(Sweep s) {
        List<SweepMember> ms = members.findBySweepIdOrderByPosition(s.getId());
        CreateSweepRequest request = json.readValue(s.getRequestJson(), CreateSweepRequest.class);
        Map<String, Integer> counts = new LinkedHashMap<>();
        List<SweepView.SweepMemberView> out = new ArrayList<>();
        for (SweepMember m : ms) {
            counts.merge(m.getState(), 1, Integer::sum);
            out.add(new SweepView.SweepMemberView(m.getPosition(), m.getConfig(), m.getBaseline(), m.getSeed(), m.getState(), m.getJobId(),
                    jobsOf(m), m.getRung(), m.getScore(),
                    m.getEvaluationsJson() == null ? null : json.readValue(m.getEvaluationsJson(), EVALUATIONS), m.getReason()));
        }
        SweepView.SweepProgress progress = new SweepView.SweepProgress(ms.size(), counts.getOrDefault(SweepMember.PENDING, 0),
                counts.getOrDefault(SweepMember.TRAINING, 0), counts.getOrDefault(SweepMember.WAITING, 0),
                counts.getOrDefault(SweepMember.EVALUATING, 0), counts.getOrDefault(SweepMember.DONE, 0),
                counts.getOrDefault(SweepMember.FAILED, 0), counts.getOrDefault(SweepMember.PRUNED, 0),
                counts.getOrDefault(SweepMember.CANCELLED, 0));
        return new SweepView(s.getId(), s.getName(), s.getOwner(), s.getState(), s.getStrategy(), progress, rungs(request, ms), out,
                request, s.getCreatedAt(), s.getFinishedAt());
    }

    /** Successive halving's rungs as they stand (null for grid sweeps). */
    private static List<SweepView.RungView> rungs(CreateSweepRequest request, List<SweepMember> ms) {
        if (request.halving() == null || request.halving().rungs() == null) {
            return null;
        }
        List<SweepView.RungView> out = new ArrayList<>();
        List<Integer> rungs = request.halving().rungs();
        for (int j = 0; j < rungs.size(); j++) {
            int rung = j;
            var entered = new LinkedHashSet<String>();
            var went = new LinkedHashSet<String>();
            var pruned = new LinkedHashSet<String>();
            for (SweepMember m : ms) {
                if (m.getBaseline() != null || m.getRung() < rung) {
                    continue;
                }
                entered.add(m.getConfig());
                if (m.getRung() > rung) {
                    went.add(m.getConfig());
                } else if (m.getState().equals(SweepMember.PRUNED)) {
                    pruned.add(m.getConfig());
                }
            }
            out.add(new SweepView.RungView(rung, rungs.get(rung), entered.size(), !went.isEmpty() || !pruned.isEmpty(), went.size(),
                    List.copyOf(pruned)));
        }
        return out;
    }
}
