package org.robustlab.evaluation;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.dataset.DatasetCatalog;
import org.robustlab.device.DevicePool;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.training.ComputeCost;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.NotFoundException;
import org.robustlab.security.Quotas;
import org.robustlab.security.Visibility;
import org.springframework.stereotype.Component;

/**
 * Turns an evaluation request into its {@link EvaluationPlan}, checked once and in one place: the attacks and their
 * budgets, the device, the model (404 for one the caller may not read), the test points, the surrogates and the
 * estimated cost. A bad value is a 4xx that names it.
 */
@Component
public class EvaluationPlans {

    static final List<String> TYPES = List.of("fgsm", "pgd", "apgd-ce", "apgd-dlr", "apgd-t", "fab", "fab-t", "square", "transfer",
            "ensemble");

    private final ModelArtifactRepository models;
    private final DevicePool devices;
    private final DatasetCatalog datasets;
    private final Visibility visibility;
    private final Quotas quotas;

    EvaluationPlans(ModelArtifactRepository models, DevicePool devices, DatasetCatalog datasets, Visibility visibility, Quotas quotas) {
        this.models = models;
        this.devices = devices;
        this.datasets = datasets;
        this.visibility = visibility;
        this.quotas = quotas;
    }

    /** The request's plan, every check passed; stores nothing. */
    EvaluationPlan plan(CreateEvaluationRequest request) {
        List<AttackSpec> attacks = attacks(request);
        devices.checkRequest(request.device());
        ModelArtifact model = resolveModel(request);
        int points = datasets.checkTest(DatasetId.fromId(model.getDataset()), request.testSubset() == null ? 0 : request.testSubset());
        checkSurrogates(request, model);
        double perImage = model.isTorchScript() ? model.getCostPerImage() : ComputeCost.perImage(Architecture.fromId(model.getArchitecture()));
        quotas.evaluationCost(ComputeCost.evaluation(perImage, attacks, points, diagnostics(request, attacks)));
        return planOf(request, model.getId());
    }

    /**
     * The plan of a request whose checks have passed, for model {@code modelId}: its attacks at their epsilons, test
     * points, seed, diagnostics, the surrogates its transfer attacks name, and its device.
     */
    public static EvaluationPlan planOf(CreateEvaluationRequest request, UUID modelId) {
        List<AttackSpec> attacks = attacks(request);
        Set<UUID> surrogates = new LinkedHashSet<>();
        for (CreateEvaluationRequest.AttackRequest a : request.attacks()) {
            if (a.surrogateModelId() != null && "transfer".equalsIgnoreCase(a.type())) {
                surrogates.add(a.surrogateModelId());
            }
        }
        return new EvaluationPlan(modelId, attacks, request.testSubset() == null ? 0 : request.testSubset(),
                request.seed() == null ? 0 : request.seed(), diagnostics(request, attacks), List.copyOf(surrogates), request.device());
    }

    /** Checks what can be checked of a request without its model: the attacks and the device. */
    void checkAttacks(CreateEvaluationRequest request) {
        attacks(request);
        devices.checkRequest(request.device());
    }

    private ModelArtifact resolveModel(CreateEvaluationRequest r) {
        if (r.modelId() != null) {
            return models.findById(r.modelId()).filter(m -> visibility.canRead(m.getOwner()))
                    .orElseThrow(() -> NotFoundException.forId("model", r.modelId()));
        }
        if (r.jobId() == null) {
            throw new InvalidRequestException("modelId", "give modelId, or jobId with checkpoint best-robust or last");
        }
        String kind = r.checkpoint() == null ? "best-robust" : r.checkpoint();
        if (!kind.equals("best-robust") && !kind.equals("last")) {
            throw new InvalidRequestException("checkpoint", "checkpoint must be one of [best-robust, last]; got '" + kind + "'");
        }
        return models.findByJobIdAndKind(r.jobId(), kind).filter(m -> visibility.canRead(m.getOwner())).orElseThrow(() ->
                new NotFoundException("training job " + r.jobId() + " has no " + kind + " model (yet)"));
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
        return spec(a, eps, field, transferAllowed, true);
    }

    private static AttackSpec spec(CreateEvaluationRequest.AttackRequest a, float eps, String field, boolean transferAllowed,
            boolean ensembleAllowed) {
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
            case "fab" -> AttackSpec.fab(eps, a.steps() == null ? 100 : a.steps(), restarts);
            case "fab-t" -> AttackSpec.fabT(eps, a.steps() == null ? 100 : a.steps(), targets);
            case "square" -> AttackSpec.square(eps, queries).withRestarts(restarts);
            case "ensemble" -> {
                if (!ensembleAllowed) {
                    throw new InvalidRequestException(field + ".type", field + ".type cannot be an ensemble inside an ensemble");
                }
                yield ensemble(a, eps, field, a.steps() == null ? 100 : a.steps(), targets, queries);
            }
            case "transfer" -> {
                if (!transferAllowed) {
                    throw new InvalidRequestException(field + ".type", field + ".type cannot be transfer inside a transfer attack");
                }
                if (a.surrogateModelId() == null) {
                    throw new InvalidRequestException(field + ".surrogateModelId",
                            field + ".surrogateModelId is required for a transfer attack: the model the examples are made on");
                }
                CreateEvaluationRequest.AttackRequest inner = a.surrogateAttack() != null ? a.surrogateAttack()
                        : CreateEvaluationRequest.AttackRequest.of("pgd", null);
                yield spec(inner, eps, field + ".surrogateAttack", false, ensembleAllowed).onSurrogate(a.surrogateModelId().toString());
            }
            default -> throw new InvalidRequestException(field + ".type", field + ".type must be one of " + TYPES + "; got '" + a.type() + "'");
        };
        // an empty stages list is no stages: generated clients (openapi-generator's Java) send [] for every attack
        if (!type.equals("ensemble") && (a.version() != null || a.stages() != null && !a.stages().isEmpty())) {
            String name = a.version() != null ? "version" : "stages";
            throw new InvalidRequestException(field + "." + name, field + "." + name + " applies to an ensemble only");
        }
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
     * An ensemble: AutoAttack's {@code standard} (the default), {@code plus} or {@code rand} with these budgets, or the
     * {@code custom} list of stages.
     */
    private static AttackSpec ensemble(CreateEvaluationRequest.AttackRequest a, float eps, String field, int steps, int targets,
            int queries) {
        String version = a.version() == null ? "standard" : a.version().toLowerCase(Locale.ROOT);
        if (!AttackSpec.VERSIONS.contains(version)) {
            throw new InvalidRequestException(field + ".version", field + ".version must be one of " + AttackSpec.VERSIONS + "; got '"
                    + a.version() + "'");
        }
        if (!version.equals("custom")) {
            if (a.stages() != null && !a.stages().isEmpty()) {
                throw new InvalidRequestException(field + ".stages", field + ".stages are the attacks of version custom; version "
                        + version + " has its own (give version custom to list them)");
            }
            return AttackSpec.autoAttack(version, eps, steps, targets, queries);
        }
        if (a.stages() == null || a.stages().isEmpty()) {
            throw new InvalidRequestException(field + ".stages", field + ".stages must list the attacks of a custom ensemble, in order");
        }
        List<AttackSpec> stages = new ArrayList<>();
        for (int i = 0; i < a.stages().size(); i++) {
            String stageField = field + ".stages[" + i + "]";
            CreateEvaluationRequest.AttackRequest stage = a.stages().get(i);
            if (stage.epsilon() != null && stage.epsilon().floatValue() != eps) {
                throw new InvalidRequestException(stageField + ".epsilon", stageField + ".epsilon must be left out: every stage runs at"
                        + " the ensemble's epsilon");
            }
            stages.add(spec(stage, eps, stageField, false, false));
        }
        return AttackSpec.customEnsemble(eps, stages);
    }

    /**
     * The surrogate models the request's transfer attacks name must exist and be readable by the caller (404 otherwise)
     * and be trained on the target's dataset (400).
     */
    private void checkSurrogates(CreateEvaluationRequest r, ModelArtifact target) {
        for (int i = 0; i < r.attacks().size(); i++) {
            UUID id = r.attacks().get(i).surrogateModelId();
            if (id == null || !"transfer".equalsIgnoreCase(r.attacks().get(i).type())) {
                continue;
            }
            // a model the caller may not read is not found, as the evaluated model is: the answer must not confirm it exists
            ModelArtifact m = models.findById(id).filter(s -> visibility.canRead(s.getOwner()))
                    .orElseThrow(() -> NotFoundException.forId("surrogate model", id));
            if (!m.getDataset().equals(target.getDataset())) {
                String field = "attacks[" + i + "].surrogateModelId";
                throw new InvalidRequestException(field, field + " names a model trained on " + m.getDataset()
                        + "; the evaluated model is for " + target.getDataset() + ", and a surrogate must be for the same dataset");
            }
        }
    }

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
}
