package org.robustlab.sweep;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.robustlab.evaluation.CreateEvaluationRequest;
import org.robustlab.evaluation.EvaluationService;
import org.robustlab.evaluation.EvaluationView;
import org.robustlab.execution.JobState;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.JobService;
import org.robustlab.job.TrainingJobView;
import org.robustlab.problem.TooManyRequestsException;
import org.robustlab.security.Caller;
import org.robustlab.security.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Moves sweeps along, every 2 seconds, on one instance at a time (a db-scheduler recurring task, {@link SweepScheduling}):
 * submits pending members as the owner's active-job limit allows, submits each trained member's evaluations,
 * records how members end, and ends the sweep when all have. Members are submitted as ordinary jobs and
 * evaluations of the sweep's owner: same queue, same quotas.
 */
@Component
class SweepCoordinator {

    private static final Logger log = LoggerFactory.getLogger(SweepCoordinator.class);

    private final SweepRepository sweeps;
    private final SweepMemberRepository members;
    private final SweepService service;
    private final JobService jobs;
    private final EvaluationService evaluations;
    private final ObjectMapper json;
    private final Clock clock;

    SweepCoordinator(SweepRepository sweeps, SweepMemberRepository members, SweepService service, JobService jobs,
            EvaluationService evaluations, ObjectMapper json, Clock clock) {
        this.sweeps = sweeps;
        this.members = members;
        this.service = service;
        this.jobs = jobs;
        this.evaluations = evaluations;
        this.json = json;
        this.clock = clock;
    }

    /** One round over the running sweeps. */
    void tick() {
        try {
            for (Sweep sweep : sweeps.findByState(JobState.RUNNING)) {
                try {
                    Caller.runAs(new Caller(null, sweep.getOwner(), Role.RESEARCHER), () -> {
                        advance(sweep);
                        return null;
                    });
                } catch (RuntimeException e) {
                    log.warn("sweep {}: {}", sweep.getId(), e.getMessage(), e);
                }
            }
        } catch (RuntimeException e) {
            log.warn("sweep coordination failed this round: {}", e.getMessage());
        }
    }

    private void advance(Sweep sweep) {
        boolean cancelling = sweeps.findById(sweep.getId()).map(Sweep::isCancelRequested).orElse(false);
        CreateSweepRequest request = json.readValue(sweep.getRequestJson(), CreateSweepRequest.class);
        List<Integer> rungs = request.halving() == null || request.halving().rungs() == null ? List.of() : request.halving().rungs();
        if (!cancelling && !rungs.isEmpty()) {
            decideRungs(members.findBySweepIdOrderByPosition(sweep.getId()), rungs, request.halving().factor());
        }
        boolean limited = false;
        boolean allEnded = true;
        int done = 0;
        for (SweepMember m : members.findBySweepIdOrderByPosition(sweep.getId())) {
            try {
                switch (m.getState()) {
                    case SweepMember.PENDING -> {
                        if (cancelling) {
                            update(m, SweepMember.CANCELLED, "cancelled with the sweep before it was submitted");
                        } else if (!limited) {
                            try {
                                submit(sweep, m, rungs);
                            } catch (TooManyRequestsException full) {
                                limited = true; // the owner's active limit: the rest wait for a later round
                            }
                        }
                    }
                    case SweepMember.TRAINING -> {
                        TrainingJobView job = jobs.get(m.getJobId());
                        if (job.state() == JobState.SUCCEEDED || job.state() == JobState.STOPPED) {
                            if (cancelling) {
                                update(m, SweepMember.CANCELLED, "cancelled with the sweep after training");
                            } else if (m.getRung() < rungs.size()) {
                                rungEnded(m, job, rungs);
                            } else if (!limited) {
                                limited = !evaluate(m, job, request);
                            }
                        } else if (job.state() == JobState.FAILED) {
                            update(m, SweepMember.FAILED, "training failed: " + job.failureReason());
                        } else if (job.state() == JobState.CANCELLED) {
                            update(m, SweepMember.CANCELLED, job.failureReason());
                        }
                    }
                    case SweepMember.WAITING -> {
                        if (cancelling) {
                            update(m, SweepMember.CANCELLED, "cancelled with the sweep while waiting for its rung's decision");
                        }
                    }
                    case SweepMember.EVALUATING -> {
                        Map<String, UUID> evs = json.readValue(m.getEvaluationsJson(), SweepService.EVALUATIONS);
                        boolean ended = true;
                        String failed = null;
                        for (Map.Entry<String, UUID> e : evs.entrySet()) {
                            EvaluationView v = evaluations.get(e.getValue());
                            ended &= v.state().isTerminal();
                            if (v.state().isTerminal() && v.state() != JobState.SUCCEEDED) {
                                failed = "evaluation of " + e.getKey() + " " + v.state() + (v.failureReason() == null ? "" : ": " + v.failureReason());
                            }
                        }
                        if (ended) {
                            update(m, failed == null ? SweepMember.DONE : SweepMember.FAILED, failed);
                        }
                    }
                    default -> { }
                }
            } catch (ObjectOptimisticLockingFailureException raced) {
                // changed meanwhile (a cancel): looked at again next round
            } catch (RuntimeException e) {
                // a member that cannot be submitted (its model was deleted, a limit changed) fails alone
                update(m, SweepMember.FAILED, e.getMessage());
            }
            SweepMember now = members.findById(m.getId()).orElse(m);
            allEnded &= now.isEnded();
            done += now.getState().equals(SweepMember.DONE) ? 1 : 0;
        }
        if (allEnded) {
            Sweep fresh = sweeps.findById(sweep.getId()).orElseThrow();
            fresh.setState(fresh.isCancelRequested() ? JobState.CANCELLED : done > 0 ? JobState.SUCCEEDED : JobState.FAILED);
            fresh.setFinishedAt(clock.instant());
            sweeps.saveAndFlush(fresh);
            log.info("sweep {} ended {}", sweep.getId(), fresh.getState());
        }
    }

    /**
     * Submits the member's job for its rung: the full request under grid (and for baselines); under successive
     * halving a job that ends after the rung's epoch (the schedules keeping their full length) and continues the
     * previous rung's job.
     */
    private void submit(Sweep sweep, SweepMember m, List<Integer> rungs) {
        List<UUID> previous = service.jobsOf(m);
        CreateTrainingJobRequest request = json.readValue(m.getRequestJson(), CreateTrainingJobRequest.class);
        Integer stopAfter = null;
        if (!rungs.isEmpty() && m.getBaseline() == null) {
            ObjectNode named = json.valueToTree(request);
            String name = request.name() + (m.getRung() < rungs.size() ? " / rung " + m.getRung() : " / full schedule");
            named.put("name", name.length() > 200 ? name.substring(0, 200) : name);
            request = json.treeToValue(named, CreateTrainingJobRequest.class);
            stopAfter = m.getRung() < rungs.size() ? rungs.get(m.getRung()) : null;
        }
        TrainingJobView job = jobs.submitFor(sweep.getOwner(), request, previous.isEmpty() ? null : previous.get(previous.size() - 1),
                stopAfter);
        List<UUID> all = new ArrayList<>(previous);
        all.add(job.id());
        m.setJobId(job.id());
        m.setJobsJson(json.writeValueAsString(all));
        update(m, SweepMember.TRAINING, null);
    }

    /** A rung's job has ended: the member waits for the rung's decision with its validation PGD accuracy. */
    private void rungEnded(SweepMember m, TrainingJobView job, List<Integer> rungs) {
        SweepMember fresh = members.findById(m.getId()).orElseThrow();
        if (job.state() == JobState.STOPPED) {
            fresh.setState(SweepMember.PRUNED);
            fresh.setReason("stopped in rung " + m.getRung() + ": " + job.failureReason());
        } else {
            fresh.setState(SweepMember.WAITING);
            fresh.setScore(job.metrics() == null ? null : job.metrics().validationRobustAccuracy());
        }
        members.saveAndFlush(fresh);
    }

    /**
     * Takes each rung's decision once every configuration of the rung has finished it: the top
     * max(1, floor(n / factor)) configurations by their seeds' mean validation PGD accuracy go on to the next
     * rung; the others are pruned, with their rank and score in the reason.
     */
    private void decideRungs(List<SweepMember> all, List<Integer> rungs, int factor) {
        for (int rung = 0; rung < rungs.size(); rung++) {
            int r = rung;
            List<SweepMember> at = all.stream().filter(m -> m.getBaseline() == null && m.getRung() == r).toList();
            if (at.isEmpty() || at.stream().noneMatch(m -> m.getState().equals(SweepMember.WAITING))
                    || at.stream().anyMatch(m -> m.getState().equals(SweepMember.PENDING) || m.getState().equals(SweepMember.TRAINING))) {
                continue;
            }
            Map<String, List<Double>> scores = new LinkedHashMap<>();
            for (SweepMember m : at) {
                List<Double> s = scores.computeIfAbsent(m.getConfig(), c -> new ArrayList<>());
                if (m.getState().equals(SweepMember.WAITING) && m.getScore() != null) {
                    s.add(m.getScore());
                }
            }
            Map<String, SweepHalving.Ranked> ranked = new LinkedHashMap<>();
            SweepHalving.decide(scores, factor).forEach(x -> ranked.put(x.config(), x));
            int kept = SweepHalving.kept(scores.size(), factor);
            for (SweepMember m : at) {
                if (!m.getState().equals(SweepMember.WAITING)) {
                    continue;
                }
                SweepHalving.Ranked x = ranked.get(m.getConfig());
                if (x.continues()) {
                    m.setRung(r + 1);
                    m.setState(SweepMember.PENDING);
                    m.setReason(null);
                } else {
                    m.setState(SweepMember.PRUNED);
                    m.setReason(String.format(Locale.ROOT, "pruned at rung %d (epoch %d): validation PGD accuracy %.4f"
                            + " (mean over seeds), rank %d of %d configurations; the top %d went on", r, rungs.get(r), x.score(), x.rank(),
                            scores.size(), kept));
                }
                members.saveAndFlush(m);
            }
            log.info("sweep {}: rung {} decided, {} of {} configurations go on", at.get(0).getSweepId(), r, kept, scores.size());
        }
    }

    /** Submits the member's evaluations (those not submitted yet); false if the owner's active limit stopped it. */
    private boolean evaluate(SweepMember member, TrainingJobView job, CreateSweepRequest request) {
        SweepMember m = member;
        Map<String, UUID> evs = m.getEvaluationsJson() == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(json.readValue(m.getEvaluationsJson(), SweepService.EVALUATIONS));
        var checkpoints = request.evaluation().checkpoints() == null || request.evaluation().checkpoints().isEmpty()
                ? List.of("best-robust") : request.evaluation().checkpoints();
        CreateEvaluationRequest r = request.evaluation().request();
        for (String checkpoint : checkpoints) {
            if (evs.containsKey(checkpoint)) {
                continue;
            }
            UUID model = job.models().stream().filter(x -> x.kind().equals(checkpoint)).map(TrainingJobView.ModelRef::id).findFirst().orElse(null);
            if (model == null) {
                update(m, SweepMember.FAILED, "job " + job.id() + " has no " + checkpoint + " model");
                return true;
            }
            try {
                EvaluationView v = evaluations.submitFor(job.owner(), new CreateEvaluationRequest(model, null, null,
                        r.testSubset(), r.attacks(), r.epsilons(), r.seed(), r.diagnostics(), r.device()));
                evs.put(checkpoint, v.id());
                m.setEvaluationsJson(json.writeValueAsString(evs));
                m = members.saveAndFlush(m);
            } catch (TooManyRequestsException full) {
                return false;
            }
        }
        m.setEvaluationsJson(json.writeValueAsString(evs));
        m.setState(SweepMember.EVALUATING);
        members.saveAndFlush(m);
        return true;
    }

    private void update(SweepMember m, String state, String reason) {
        SweepMember fresh = members.findById(m.getId()).orElseThrow();
        fresh.setState(state);
        fresh.setReason(reason);
        if (m.getJobId() != null) {
            fresh.setJobId(m.getJobId());
            fresh.setJobsJson(m.getJobsJson());
        }
        members.saveAndFlush(fresh);
    }
}
