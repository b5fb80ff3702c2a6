package org.robustlab.evaluation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.job.InvalidRequestException;
import org.robustlab.job.JobNotFoundException;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.runner.WorkerTask;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/** Turns an evaluation request into the attacks and diagnostics a worker runs. */
@Component
public class EvaluationPlans {

    static final List<String> TYPES = List.of("fgsm", "pgd", "apgd-ce", "apgd-dlr", "apgd-t", "square", "transfer", "ensemble");

    private final ObjectMapper json;
    private final ModelArtifactRepository models;

    EvaluationPlans(ObjectMapper json, ModelArtifactRepository models) {
        this.json = json;
        this.models = models;
    }

    /** The attacks of a request, each at its epsilon (or at each of {@code epsilons}); bad values are 400s. */
    public static List<AttackSpec> attacks(CreateEvaluationRequest r) {
        List<AttackSpec> out = new ArrayList<>();
        for (int i = 0; i < r.attacks().size(); i++) {
            CreateEvaluationRequest.AttackRequest a = r.attacks().get(i);
            String field = "attacks[" + i + "]";
            List<Double> epsilons = r.epsilons() != null && !r.epsilons().isEmpty() ? r.epsilons()
                    : a.epsilon() != null ? List.of(a.epsilon()) : null;
            if (epsilons == null) {
                throw new InvalidRequestException(field + ".epsilon", field + ".epsilon is required (in (0, 1], pixel units), or give epsilons");
            }
            for (double epsD : epsilons) {
                out.add(spec(a, (float) epsD, field, true));
            }
        }
        return out;
    }

    private static AttackSpec spec(CreateEvaluationRequest.AttackRequest a, float eps, String field, boolean transferAllowed) {
        String type = a.type() == null ? "pgd" : a.type().toLowerCase(Locale.ROOT);
        int restarts = a.restarts() == null ? 1 : a.restarts();
        int targets = a.targets() == null ? 9 : a.targets();
        int queries = a.queries() == null ? 5000 : a.queries();
        AttackSpec spec = switch (type) {
            case "fgsm" -> AttackSpec.fgsm(eps);
            case "pgd" -> {
                int steps = a.steps() == null ? 20 : a.steps();
                float step = a.stepSize() == null ? eps / 4 : a.stepSize().floatValue();
                yield AttackSpec.pgd(eps, steps, step).withRestarts(restarts);
            }
            case "apgd-ce" -> AttackSpec.apgdCe(eps, a.steps() == null ? 100 : a.steps()).withRestarts(restarts);
            case "apgd-dlr" -> AttackSpec.apgdDlr(eps, a.steps() == null ? 100 : a.steps()).withRestarts(restarts);
            case "apgd-t" -> AttackSpec.apgdT(eps, a.steps() == null ? 100 : a.steps(), targets);
            case "square" -> AttackSpec.square(eps, queries);
            case "ensemble" -> AttackSpec.ensemble(eps, a.steps() == null ? 100 : a.steps(), targets, queries);
            case "transfer" -> {
                if (!transferAllowed) {
                    throw new InvalidRequestException(field + ".type", field + ".type cannot be transfer inside a transfer attack");
                }
                if (a.surrogateModelId() == null) {
                    throw new InvalidRequestException(field + ".surrogateModelId",
                            field + ".surrogateModelId is required for a transfer attack: the model the examples are made on");
                }
                CreateEvaluationRequest.AttackRequest inner = a.surrogateAttack() != null ? a.surrogateAttack()
                        : new CreateEvaluationRequest.AttackRequest("pgd", null, null, null, null, null, null, null, null, null);
                yield spec(inner, eps, field + ".surrogateAttack", false).onSurrogate(a.surrogateModelId().toString());
            }
            default -> throw new InvalidRequestException(field + ".type", field + ".type must be one of " + TYPES + "; got '" + a.type() + "'");
        };
        if (a.loss() != null) {
            if (!type.equals("pgd")) {
                throw new InvalidRequestException(field + ".loss", field + ".loss applies to pgd only; apgd-dlr and apgd-t use the DLR loss");
            }
            switch (a.loss().toLowerCase(Locale.ROOT)) {
                case "ce" -> { }
                case "cw" -> spec = spec.withObjective(AttackSpec.Objective.CW);
                default -> throw new InvalidRequestException(field + ".loss", field + ".loss must be one of [ce, cw]; got '" + a.loss() + "'");
            }
        }
        return spec;
    }

    /**
     * The surrogate models the request's transfer attacks name. Each must exist (404) and be trained
     * on the target's dataset (400).
     */
    Map<String, ModelArtifact> surrogates(CreateEvaluationRequest r, ModelArtifact target) {
        Map<String, ModelArtifact> out = new LinkedHashMap<>();
        for (int i = 0; i < r.attacks().size(); i++) {
            UUID id = r.attacks().get(i).surrogateModelId();
            if (id == null || !"transfer".equalsIgnoreCase(r.attacks().get(i).type())) {
                continue;
            }
            ModelArtifact m = models.findById(id).orElseThrow(() -> JobNotFoundException.forId("surrogate model", id));
            if (!m.getDataset().equals(target.getDataset())) {
                String field = "attacks[" + i + "].surrogateModelId";
                throw new InvalidRequestException(field, field + " names a model trained on " + m.getDataset()
                        + "; the evaluated model is for " + target.getDataset() + ", and a surrogate must be for the same dataset");
            }
            out.put(id.toString(), m);
        }
        return out;
    }

    /** The diagnostics plan, or null when disabled. */
    /** The diagnostics an evaluation runs, or null when switched off. */
    static Diagnostics.Plan diagnostics(CreateEvaluationRequest r, List<AttackSpec> attacks) {
        CreateEvaluationRequest.DiagnosticsRequest d = r.diagnostics();
        if (d != null && Boolean.FALSE.equals(d.enabled())) {
            return null;
        }
        float eps = d != null && d.epsilon() != null ? d.epsilon().floatValue()
                : (float) attacks.stream().mapToDouble(AttackSpec::epsilon).max().orElse(0.1);
        int points = d != null && d.points() != null ? d.points() : 200;
        if (r.testSubset() != null && r.testSubset() > 0) {
            points = Math.min(points, r.testSubset());
        }
        return new Diagnostics.Plan(points, eps, d != null && d.squareQueries() != null ? d.squareQueries() : 1000,
                r.seed() == null ? 0 : r.seed(), d != null && d.pictures() != null ? d.pictures() : 8);
    }

    /** The request an evaluation was submitted with. */
    public CreateEvaluationRequest request(EvaluationJob job) {
        return json.readValue(job.getRequestJson(), CreateEvaluationRequest.class);
    }

    /** A model's DJL parameter folder on this machine (fetched from the artifact store if need be, and checked). */
    public interface LocalFolders {
        Path of(ModelArtifact model) throws java.io.IOException;
    }

    public WorkerTask.EvaluationTask task(EvaluationJob job, ModelArtifact model, Path dir, LocalFolders folders) throws java.io.IOException {
        CreateEvaluationRequest r = request(job);
        String checkpoint = "model " + model.getId() + " (" + model.getKind() + ", epoch " + model.getEpoch()
                + (model.getJobId() == null ? "" : ", job " + model.getJobId()) + ")";
        Map<String, WorkerTask.Surrogate> surrogates = new LinkedHashMap<>();
        for (var e : surrogates(r, model).entrySet()) {
            surrogates.put(e.getKey(), new WorkerTask.Surrogate(e.getValue().getArchitecture(), folders.of(e.getValue()).toString()));
        }
        List<AttackSpec> attacks = attacks(r);
        return new WorkerTask.EvaluationTask(model.getArchitecture(), model.getDataset(),
                folders.of(model).toString(), checkpoint, attacks,
                r.testSubset() == null ? 0 : r.testSubset(), r.seed() == null ? 0 : r.seed(), dir.resolve("report.json").toString(),
                surrogates, diagnostics(r, attacks), dir.resolve("plots").toString());
    }
}
