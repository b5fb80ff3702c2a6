package org.robustlab.job;

import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.training.Method;
import org.robustlab.ml.training.Schedule;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.problem.InvalidRequestException;

/** Turns a request into a {@link TrainingPlan}, filling defaults; a bad value becomes an {@link InvalidRequestException}. */
public final class TrainingPlans {

    private TrainingPlans() {}

    public static TrainingPlan from(CreateTrainingJobRequest r) {
        DatasetId dataset = parse("dataset", () -> DatasetId.fromId(r.dataset()));
        Architecture architecture = r.model() == null
                ? (dataset.shape().height() == 28 ? Architecture.SMALL_CNN : Architecture.RESNET18)
                : parse("model", () -> Architecture.fromId(r.model()));
        parse("model", () -> ModelSpec.of(architecture, dataset));
        Method method = r.method() == null ? Method.ARR : parse("method", () -> Method.fromId(r.method()));
        CreateTrainingJobRequest.AttackRequest a = r.attack() == null
                ? new CreateTrainingJobRequest.AttackRequest(null, null, null, null, null, null) : r.attack();
        float epsilon = a.epsilon() != null ? a.epsilon().floatValue() : defaultEpsilon(dataset);
        boolean singleStep = method == Method.FGSM_RS || method == Method.N_FGSM;
        String type = a.type() == null ? (method == Method.ARR || singleStep ? "fgsm" : "pgd") : a.type().toLowerCase(Locale.ROOT);
        if (!type.equals("fgsm") && !type.equals("pgd")) {
            throw new InvalidRequestException("attack.type", "attack.type must be one of [fgsm, pgd]; got '" + a.type() + "'");
        }
        if (method != Method.ARR && type.equals("fgsm") && method != Method.STANDARD && !singleStep) {
            throw new InvalidRequestException("attack.type", method.id() + " uses a PGD inner attack; set attack.type to pgd");
        }
        if (singleStep && !type.equals("fgsm")) {
            throw new InvalidRequestException("attack.type", method.id() + " takes one FGSM step; set attack.type to fgsm");
        }
        if (a.noise() != null && method != Method.N_FGSM) {
            throw new InvalidRequestException("attack.noise", "attack.noise is N-FGSM's; " + method.id() + " takes none");
        }
        if (a.noise() != null && !Double.isFinite(a.noise())) {
            throw new InvalidRequestException("attack.noise", "attack.noise must be a number in [0, 1]; got " + a.noise());
        }
        if (method == Method.FGSM_RS && Boolean.FALSE.equals(a.randomStart())) {
            throw new InvalidRequestException("attack.randomStart", "fgsm-rs always starts at a random point; leave attack.randomStart out");
        }
        if (method == Method.N_FGSM && a.randomStart() != null) {
            throw new InvalidRequestException("attack.randomStart", "n-fgsm starts from its noise (attack.noise), not a random start;"
                    + " leave attack.randomStart out");
        }
        int steps = a.steps() != null ? a.steps() : method == Method.ARR ? 3 : 10;
        if (type.equals("fgsm") && a.steps() != null && a.steps() != 1) {
            throw new InvalidRequestException("attack.steps", "FGSM takes exactly 1 step; got " + a.steps());
        }
        float stepSize = a.stepSize() != null ? a.stepSize().floatValue()
                : switch (method) {
                    case ARR -> epsilon / 2;
                    case FGSM_RS -> 1.25f * epsilon;
                    case N_FGSM -> epsilon;
                    default -> epsilon / 4;
                };
        boolean randomStart = a.randomStart() == null || a.randomStart();
        AttackSpec attack = type.equals("fgsm")
                ? (randomStart ? AttackSpec.fgsmRandomStart(epsilon) : AttackSpec.fgsm(epsilon))
                : AttackSpec.pgd(epsilon, steps, stepSize).withRandomStart(randomStart);
        boolean trainingMode = a.trainingMode() != null ? a.trainingMode() : method == Method.PGD_AT || singleStep;
        attack = attack.withTrainingMode(trainingMode);
        int warmup = r.weightWarmupEpochs() == null ? 0 : r.weightWarmupEpochs();
        TrainingMethod trainingMethod = switch (method) {
            case STANDARD -> TrainingMethod.standard();
            case ARR -> {
                Divergence d = r.divergence() == null ? Divergence.KL : parse("divergence", () -> Divergence.fromId(r.divergence()));
                yield new TrainingMethod(Method.ARR, r.lambda() == null ? 1f : r.lambda().floatValue(), d, attack, warmup);
            }
            case PGD_AT -> new TrainingMethod(Method.PGD_AT, 0f, Divergence.KL, attack, 0);
            case TRADES -> new TrainingMethod(Method.TRADES, r.beta() == null ? 6f : r.beta().floatValue(), Divergence.KL,
                    attack.withObjective(AttackSpec.Objective.KL), warmup);
            case MART -> new TrainingMethod(Method.MART, r.beta() == null ? 6f : r.beta().floatValue(), Divergence.KL, attack, warmup);
            case FGSM_RS -> {
                TrainingMethod m = TrainingMethod.fgsmRs(epsilon, stepSize);
                yield m.withAttack(m.attack().withTrainingMode(trainingMode));
            }
            case N_FGSM -> {
                TrainingMethod m = TrainingMethod.nFgsm(epsilon, stepSize, a.noise() == null ? 2 * epsilon : a.noise().floatValue());
                yield m.withAttack(m.attack().withTrainingMode(trainingMode));
            }
        };
        trainingMethod = addOns(r, method, trainingMethod);
        int epochs = r.epochs() == null ? 10 : r.epochs();
        CreateTrainingJobRequest.OptimizerRequest o = r.optimizer() == null
                ? new CreateTrainingJobRequest.OptimizerRequest(null, null, null, null, null) : r.optimizer();
        if (o.type() != null && !o.type().equalsIgnoreCase("sgd")) {
            throw new InvalidRequestException("optimizer.type", "optimizer.type must be one of [sgd]; got '" + o.type() + "'");
        }
        float lr = o.learningRate() != null ? o.learningRate().floatValue() : architecture == Architecture.SMALL_CNN ? 0.05f : 0.1f;
        Schedule schedule = schedule(r.schedule(), epochs);
        CreateTrainingJobRequest.ValidationRequest v = r.validation() == null
                ? new CreateTrainingJobRequest.ValidationRequest(null, null) : r.validation();
        int trainSubset = r.trainSubset() == null ? 0 : r.trainSubset();
        int validationSize = v.size() == null ? 1000 : v.size();
        try {
            return new TrainingPlan(dataset, trainSubset, validationSize, architecture, trainingMethod, epochs,
                    r.batchSize() == null ? 128 : r.batchSize(), lr, o.momentum() == null ? 0.9f : o.momentum().floatValue(),
                    o.nesterov() != null && o.nesterov(), o.weightDecay() == null ? 5e-4f : o.weightDecay().floatValue(),
                    schedule, r.augment() == null ? dataset.isCifar() : r.augment(), epsilon,
                    v.pgdSteps() == null ? 10 : v.pgdSteps(), collapseDrop(r.catastrophicOverfitting(), method), r.seed() == null ? 1 : r.seed());
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(null, e.getMessage());
        }
    }

    /** AWP and GradAlign, where the request asks for them and the method takes them. */
    static TrainingMethod addOns(CreateTrainingJobRequest r, Method method, TrainingMethod m) {
        CreateTrainingJobRequest.WeightPerturbationRequest w = r.weightPerturbation();
        if (w != null) {
            if (method != Method.ARR && method != Method.PGD_AT && method != Method.TRADES && method != Method.MART) {
                throw new InvalidRequestException("weightPerturbation", "weightPerturbation (AWP) applies to arr, pgd-at, trades and"
                        + " mart; " + method.id() + " takes none");
            }
            if (w.gamma() != null && !(Double.isFinite(w.gamma()) && w.gamma() >= 0)) {
                throw new InvalidRequestException("weightPerturbation.gamma", "weightPerturbation.gamma must be a number in [0, 1]; got "
                        + w.gamma());
            }
            float gamma = w.gamma() == null ? 0.01f : w.gamma().floatValue();
            m = m.withWeightPerturbation(new TrainingMethod.WeightPerturbation(gamma, w.warmupEpochs() == null ? 0 : w.warmupEpochs()));
        }
        CreateTrainingJobRequest.GradAlignRequest g = r.gradAlign();
        if (g != null) {
            if (method != Method.FGSM_RS) {
                throw new InvalidRequestException("gradAlign", "gradAlign regularises the single-step attack of fgsm-rs; "
                        + method.id() + (method == Method.N_FGSM ? " is not supported with it" : " has no single-step attack")
                        + "; use method fgsm-rs");
            }
            if (g.lambda() == null || !(Double.isFinite(g.lambda()) && g.lambda() >= 0)) {
                throw new InvalidRequestException("gradAlign.lambda", "gradAlign.lambda must be a number >= 0; got " + g.lambda());
            }
            m = m.withGradAlign(g.lambda().floatValue());
        }
        return m;
    }

    /** The catastrophic-overfitting stop's threshold: 0 (off) for standard training, else 0.2 or as asked. */
    static float collapseDrop(CreateTrainingJobRequest.CatastrophicOverfittingRequest c, Method method) {
        boolean enabled = c == null || c.enabled() == null ? method != Method.STANDARD : c.enabled();
        if (method == Method.STANDARD && enabled) {
            throw new InvalidRequestException("catastrophicOverfitting.enabled", "the catastrophic-overfitting stop applies to the"
                    + " adversarial methods (arr, pgd-at, trades, mart, fgsm-rs, n-fgsm) only: a standard model's robust accuracy always falls");
        }
        return enabled ? (c == null || c.threshold() == null ? 0.2f : c.threshold().floatValue()) : 0f;
    }

    static float defaultEpsilon(DatasetId dataset) {
        return switch (dataset) {
            case MNIST -> 0.3f;
            case FASHION_MNIST -> 0.1f;
            case CIFAR10, CIFAR100 -> 8f / 255f;
        };
    }

    private static Schedule schedule(CreateTrainingJobRequest.ScheduleRequest s, int epochs) {
        if (s == null || s.type() == null) {
            return Schedule.paper(epochs);
        }
        Schedule.Type type = parse("schedule.type", () -> Schedule.Type.fromId(s.type()));
        float gamma = s.gamma() == null ? 0.1f : s.gamma().floatValue();
        return switch (type) {
            case CONSTANT -> Schedule.constant();
            case COSINE -> Schedule.cosine();
            case PIECEWISE_LINEAR -> Schedule.piecewiseLinear(0.4f);
            case MULTISTEP -> s.milestones() == null ? Schedule.paper(epochs) : Schedule.multistep(List.copyOf(s.milestones()), gamma);
        };
    }

    private static <T> T parse(String field, Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(field, e.getMessage());
        }
    }
}
