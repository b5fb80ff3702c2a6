package org.robustlab.evaluation;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.job.InvalidRequestException;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.runner.WorkerTask;
import org.springframework.stereotype.Component;
import tools.jackson.databind.ObjectMapper;

/** Turns an evaluation request into the attacks a worker runs. */
@Component
public class EvaluationPlans {

    private final ObjectMapper json;

    EvaluationPlans(ObjectMapper json) {
        this.json = json;
    }

    /** The attacks of a request, each at its epsilon (or at each of {@code epsilons}); bad values are 400s. */
    public static List<AttackSpec> attacks(CreateEvaluationRequest r) {
        List<AttackSpec> out = new ArrayList<>();
        for (int i = 0; i < r.attacks().size(); i++) {
            CreateEvaluationRequest.AttackRequest a = r.attacks().get(i);
            String field = "attacks[" + i + "]";
            String type = a.type() == null ? "pgd" : a.type().toLowerCase(Locale.ROOT);
            List<Double> epsilons = r.epsilons() != null && !r.epsilons().isEmpty() ? r.epsilons()
                    : a.epsilon() != null ? List.of(a.epsilon()) : null;
            if (epsilons == null) {
                throw new InvalidRequestException(field + ".epsilon", field + ".epsilon is required (in (0, 1], pixel units), or give epsilons");
            }
            for (double epsD : epsilons) {
                float eps = (float) epsD;
                AttackSpec spec = switch (type) {
                    case "fgsm" -> AttackSpec.fgsm(eps);
                    case "pgd" -> {
                        int steps = a.steps() == null ? 20 : a.steps();
                        float step = a.stepSize() == null ? eps / 4 : a.stepSize().floatValue();
                        yield AttackSpec.pgd(eps, steps, step).withRestarts(a.restarts() == null ? 1 : a.restarts());
                    }
                    default -> throw new InvalidRequestException(field + ".type", field + ".type must be one of [fgsm, pgd]; got '" + a.type() + "'");
                };
                if (a.loss() != null) {
                    switch (a.loss().toLowerCase(Locale.ROOT)) {
                        case "ce" -> { }
                        case "cw" -> spec = spec.withObjective(AttackSpec.Objective.CW);
                        default -> throw new InvalidRequestException(field + ".loss", field + ".loss must be one of [ce, cw]; got '" + a.loss() + "'");
                    }
                }
                out.add(spec);
            }
        }
        return out;
    }

    public WorkerTask.EvaluationTask task(EvaluationJob job, ModelArtifact model, Path reportFile) {
        CreateEvaluationRequest r = json.readValue(job.getRequestJson(), CreateEvaluationRequest.class);
        String checkpoint = "model " + model.getId() + " (" + model.getKind() + ", epoch " + model.getEpoch()
                + (model.getJobId() == null ? "" : ", job " + model.getJobId()) + ")";
        return new WorkerTask.EvaluationTask(model.getArchitecture(), model.getDataset(),
                Path.of(model.djl().path()).getParent().toString(), checkpoint, attacks(r),
                r.testSubset() == null ? 0 : r.testSubset(), r.seed() == null ? 0 : r.seed(), reportFile.toString());
    }
}
