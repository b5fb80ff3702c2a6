package org.robustlab.ml.evaluation;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.robustlab.ml.attack.Attack;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.loss.Losses;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.nd.Scalars;

/**
 * What a reviewer asks of a robustness claim beyond the accuracy table: checks for gradient
 * masking, the paper's feature analysis, and pictures. Runs on the first {@link Plan#points()} test
 * points at one epsilon.
 *
 * <p>Masking checks (a failure means the white-box numbers overstate robustness):
 * <ul>
 *   <li>{@code iterative-not-weaker-than-single-step}: PGD-10 accuracy is at most FGSM accuracy;</li>
 *   <li>{@code more-steps-and-restarts-do-not-raise-accuracy}: PGD-50 with 2 restarts is at most PGD-10;</li>
 *   <li>{@code black-box-not-below-white-box}: Square (score-based, no gradients) is at least the
 *       best of the white-box attacks;</li>
 *   <li>{@code accuracy-near-zero-at-large-epsilon}: PGD-20 at a large radius leaves at most 5%;</li>
 *   <li>{@code input-gradients-finite-and-non-zero}: no NaN or infinite input gradient, and at most
 *       10% of examples with an all-zero gradient of the margin loss (which, unlike cross-entropy, does
 *       not saturate);</li>
 *   <li>{@code outputs-are-logits}: the outputs are not probabilities (rows in [0,1] summing to 1),
 *       on which cross-entropy attacks lose their gradient.</li>
 * </ul>
 * Comparisons of accuracies allow a tolerance of max(1%, 3 / points), since random starts differ.
 */
public final class Diagnostics {

    private final int batchSize;
    private BooleanSupplier cancelled = () -> false;
    private IntConsumer progress = done -> {};

    /** The number of stages {@link #run} reports through {@link #optProgress}. */
    public static final int STAGES = 9;

    public Diagnostics(int batchSize) {
        this.batchSize = batchSize;
    }

    public Diagnostics optCancellation(BooleanSupplier cancelled) {
        this.cancelled = cancelled;
        return this;
    }

    /** Told the number of stages done (of {@link #STAGES}) after each one. */
    public Diagnostics optProgress(IntConsumer progress) {
        this.progress = progress;
        return this;
    }

    /**
     * @param points test points used (the first N)
     * @param epsilon the radius of the checks and of the feature analysis
     * @param squareQueries the Square attack's query budget
     * @param seed seed of random starts and of the Square attack
     * @param pictures images shown in the pictures
     */
    public record Plan(int points, float epsilon, int squareQueries, long seed, int pictures) {}

    /** The findings, and PNG pictures by name. */
    public record Result(List<MaskingCheck> checks, FeatureAnalysis features, Map<String, byte[]> pictures) {}

    public Result run(Block model, NDManager manager, ImageDataset test, Plan plan) {
        ImageDataset data = test.first(Math.min(plan.points(), test.size()));
        float eps = plan.epsilon();
        double tol = Math.max(0.01, 3.0 / data.size());
        List<MaskingCheck> checks = new ArrayList<>();

        int[] stage = {0};
        Runnable done = () -> progress.accept(++stage[0]);
        double fgsm = accuracy(model, manager, data, AttackSpec.fgsm(eps), plan.seed());
        done.run();
        double pgd10 = accuracy(model, manager, data, AttackSpec.pgd(eps, 10, eps / 4), plan.seed());
        done.run();
        double strong = accuracy(model, manager, data, AttackSpec.pgd(eps, 50, eps / 8).withRestarts(2), plan.seed());
        done.run();
        checks.add(check("iterative-not-weaker-than-single-step", pgd10 <= fgsm + tol,
                String.format(Locale.ROOT, "PGD-10 %.4f <= FGSM %.4f + %.4f", pgd10, fgsm, tol),
                Map.of("fgsm", fgsm, "pgd10", pgd10, "tolerance", tol)));
        checks.add(check("more-steps-and-restarts-do-not-raise-accuracy", strong <= pgd10 + tol,
                String.format(Locale.ROOT, "PGD-50 x2 restarts %.4f <= PGD-10 %.4f + %.4f", strong, pgd10, tol),
                Map.of("pgd10", pgd10, "pgd50x2", strong, "tolerance", tol)));

        double square = accuracy(model, manager, data, AttackSpec.square(eps, plan.squareQueries()), plan.seed());
        done.run();
        double white = Math.min(fgsm, Math.min(pgd10, strong));
        checks.add(check("black-box-not-below-white-box", square >= white - tol,
                String.format(Locale.ROOT, "Square (%d queries) %.4f >= best white-box %.4f - %.4f", plan.squareQueries(), square, white, tol),
                Map.of("square", square, "whiteBox", white, "tolerance", tol)));

        float large = Math.max(0.5f, Math.min(1f, 4 * eps));
        double atLarge = accuracy(model, manager, data, AttackSpec.pgd(large, 20, large / 4), plan.seed());
        done.run();
        checks.add(check("accuracy-near-zero-at-large-epsilon", atLarge <= 0.05,
                String.format(Locale.ROOT, "PGD-20 at epsilon %.2f leaves %.4f <= 0.05", large, atLarge),
                Map.of("epsilon", (double) large, "accuracy", atLarge)));

        checks.add(gradientCheck(model, manager, data));
        done.run();
        checks.add(logitCheck(model, manager, data));
        done.run();

        FeatureAnalysis features = Features.supported(model) ? features(model, manager, data, eps, plan.seed()) : null;
        done.run();
        Map<String, byte[]> pictures = pictures(model, manager, data, eps, plan);
        done.run();
        return new Result(checks, features, pictures);
    }

    private static MaskingCheck check(String name, boolean passed, String detail, Map<String, Double> figures) {
        return new MaskingCheck(name, passed, detail, new LinkedHashMap<>(figures));
    }

    /** Fraction classified correctly both clean and under {@code spec}. */
    double accuracy(Block model, NDManager manager, ImageDataset data, AttackSpec spec, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        Attack attack = Attack.of(spec, seed, cancelled);
        BatchLoader loader = new BatchLoader(data, batchSize, false, false, seed);
        int correct = 0;
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            checkCancelled();
            try (NDManager s = manager.newSubManager()) {
                BatchLoader.Batch batch = loader.batch(s, 0, b);
                int[] clean = Forward.predictions(model, batch.x());
                int[] adv = Forward.predictions(model, attack.perturb(model, batch.x(), batch.y()));
                for (int i = 0; i < clean.length; i++) {
                    if (clean[i] == batch.labels()[i] && adv[i] == batch.labels()[i]) {
                        correct++;
                    }
                }
            }
        }
        return (double) correct / data.size();
    }

    private MaskingCheck gradientCheck(Block model, NDManager manager, ImageDataset data) {
        BatchLoader loader = new BatchLoader(data, batchSize, false, false, 0);
        long nonFinite = 0;
        int zero = 0;
        Forward.trackParameterGradients(model, false);
        try {
            for (int b = 0; b < loader.batchesPerEpoch(); b++) {
                try (NDManager s = manager.newSubManager()) {
                    BatchLoader.Batch batch = loader.batch(s, 0, b);
                    float[] grad = inputGradient(model, batch.x(), batch.y(), true).toFloatArray();
                    int row = grad.length / batch.labels().length;
                    for (int i = 0; i < batch.labels().length; i++) {
                        boolean allZero = true;
                        for (int j = i * row; j < (i + 1) * row; j++) {
                            if (!Float.isFinite(grad[j])) {
                                nonFinite++;
                            } else if (grad[j] != 0f) {
                                allZero = false;
                            }
                        }
                        if (allZero) {
                            zero++;
                        }
                    }
                }
            }
        } finally {
            Forward.trackParameterGradients(model, true);
        }
        double zeroFraction = (double) zero / data.size();
        return check("input-gradients-finite-and-non-zero", nonFinite == 0 && zeroFraction <= 0.10,
                String.format(Locale.ROOT, "%d non-finite gradient entries (need 0); %.4f of examples with an all-zero margin-loss gradient (need <= 0.10)",
                        nonFinite, zeroFraction),
                Map.of("nonFiniteEntries", (double) nonFinite, "zeroGradientFraction", zeroFraction));
    }

    /** Input gradient of the summed margin loss (or cross-entropy), in {@code x}'s manager. */
    static NDArray inputGradient(Block model, NDArray x, NDArray y, boolean margin) {
        NDManager s = x.getManager();
        try (GradientCollector collector = s.getEngine().newGradientCollector()) {
            NDArray input = x.duplicate();
            input.setRequiresGradient(true);
            NDArray logits = Forward.logits(model, input, false);
            NDArray loss = margin ? Losses.marginPerExample(logits, y) : Losses.crossEntropyPerExample(logits, y);
            collector.backward(loss.sum());
            NDArray grad = input.getGradient();
            grad.attach(s);
            return grad;
        }
    }

    private MaskingCheck logitCheck(Block model, NDManager manager, ImageDataset data) {
        BatchLoader loader = new BatchLoader(data, batchSize, false, false, 0);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double maxSumDeviation = 0;
        long nonFinite = 0;
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            try (NDManager s = manager.newSubManager()) {
                BatchLoader.Batch batch = loader.batch(s, 0, b);
                NDArray out = Forward.logits(model, batch.x(), false);
                nonFinite += out.isNaN().logicalOr(out.isInfinite()).sum().getLong();
                min = Math.min(min, out.min().getFloat());
                max = Math.max(max, out.max().getFloat());
                float[] sums = out.sum(new int[] {1}).toFloatArray();
                for (float v : sums) {
                    maxSumDeviation = Math.max(maxSumDeviation, Math.abs(v - 1.0));
                }
            }
        }
        if (nonFinite > 0) {
            return check("outputs-are-logits", false, nonFinite + " outputs are NaN or infinite: the model's outputs are not usable"
                    + " logits, and no accuracy measured on it means anything", Map.of("nonFiniteOutputs", (double) nonFinite));
        }
        boolean probabilities = min >= 0 && max <= 1 && maxSumDeviation < 1e-3;
        return check("outputs-are-logits", !probabilities,
                String.format(Locale.ROOT, "outputs range over [%.4g, %.4g]; rows sum to 1 within %.3g; probabilities would be in [0,1] summing to 1",
                        min, max, maxSumDeviation),
                Map.of("min", min, "max", max, "maxRowSumDeviation", maxSumDeviation));
    }

    private FeatureAnalysis features(Block model, NDManager manager, ImageDataset data, float eps, long seed) {
        AttackSpec spec = AttackSpec.pgd20(eps);
        Engine.getInstance().setRandomSeed((int) seed);
        Attack attack = Attack.of(spec, seed, cancelled);
        BatchLoader loader = new BatchLoader(data, batchSize, false, false, seed);
        int n = data.size();
        int[] labels = new int[n];
        float[] clean = null;
        float[] adv = null;
        int dim = 0;
        List<Double> change = new ArrayList<>();
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            checkCancelled();
            try (NDManager s = manager.newSubManager()) {
                BatchLoader.Batch batch = loader.batch(s, 0, b);
                NDArray xAdv = attack.perturb(model, batch.x(), batch.y());
                float[] fc = Features.penultimate(model, batch.x()).toFloatArray();
                float[] fa = Features.penultimate(model, xAdv).toFloatArray();
                int m = batch.labels().length;
                if (clean == null) {
                    dim = fc.length / m;
                    clean = new float[n * dim];
                    adv = new float[n * dim];
                }
                int offset = b * loader.batchSize();
                System.arraycopy(fc, 0, clean, offset * dim, fc.length);
                System.arraycopy(fa, 0, adv, offset * dim, fa.length);
                for (int i = 0; i < m; i++) {
                    labels[offset + i] = batch.labels()[i];
                    double num = 0;
                    double den = 0;
                    for (int d = 0; d < dim; d++) {
                        double diff = fc[i * dim + d] - fa[i * dim + d];
                        num += diff * diff;
                        den += (double) fc[i * dim + d] * fc[i * dim + d];
                    }
                    change.add(den == 0 ? (num == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(num / den));
                }
            }
        }
        double mean = change.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double[] sorted = change.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = sorted.length == 0 ? Double.NaN : sorted.length % 2 == 1 ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        int classes = data.numClasses();
        return new FeatureAnalysis("input of " + Features.lastLayer(model), dim, n, spec.label(), eps,
                Features.separation(clean, labels, dim, classes), Features.separation(adv, labels, dim, classes), mean, median);
    }

    /** The adversarial-example grid (PGD-20) and the saliency maps, for the first few test images. */
    private Map<String, byte[]> pictures(Block model, NDManager manager, ImageDataset data, float eps, Plan plan) {
        int count = Math.min(plan.pictures(), data.size());
        Map<String, byte[]> out = new LinkedHashMap<>();
        if (count == 0) {
            return out;
        }
        ImageDataset few = data.first(count);
        int c = few.shape().channels();
        int h = few.shape().height();
        int w = few.shape().width();
        try (NDManager s = manager.newSubManager()) {
            Engine.getInstance().setRandomSeed((int) plan.seed());
            BatchLoader.Batch batch = new BatchLoader(few, count, false, false, plan.seed()).batch(s, 0, 0);
            NDArray x = batch.x();
            NDArray adv = Attack.of(AttackSpec.pgd20(eps), plan.seed()).perturb(model, x, batch.y());
            NDArray amplified = adv.sub(x).div(Scalars.of(s, 2 * eps)).add(Scalars.of(s, 0.5f));
            List<String> names = few.classNames();
            int[] labels = batch.labels();
            int[] cleanPred = Forward.predictions(model, x);
            int[] advPred = Forward.predictions(model, adv);
            out.put("adversarial-examples", Plots.imageGrid(
                    String.format(Locale.ROOT, "clean / PGD-20 at epsilon %.3g / perturbation (amplified); captions: predicted class", eps),
                    List.of("clean", "adversarial", "perturbation"),
                    List.of(x.toFloatArray(), adv.toFloatArray(), amplified.toFloatArray()), List.of(false, false, false),
                    Arrays.asList(captions(cleanPred, labels, names), captions(advPred, labels, names), null),
                    count, c, h, w));
            Forward.trackParameterGradients(model, false);
            NDArray grad;
            try {
                grad = inputGradient(model, x, batch.y(), false);
            } finally {
                Forward.trackParameterGradients(model, true);
            }
            NDArray saliency = grad.abs().max(new int[] {1});
            NDArray peak = saliency.reshape(count, -1).max(new int[] {1}).add(Scalars.of(s, 1e-12f)).reshape(count, 1, 1);
            out.put("saliency", Plots.imageGrid("input-gradient saliency |dCE/dx| (max over channels, scaled per image)",
                    List.of("image", "saliency"), List.of(x.toFloatArray(), saliency.div(peak).toFloatArray()),
                    List.of(false, true), count, c, h, w));
        }
        return out;
    }

    /** "Sneaker" for a correct prediction, "x Shirt" for a wrong one. */
    private static String[] captions(int[] predictions, int[] labels, List<String> names) {
        String[] out = new String[predictions.length];
        for (int i = 0; i < predictions.length; i++) {
            String name = predictions[i] < names.size() ? names.get(predictions[i]) : String.valueOf(predictions[i]);
            out[i] = (predictions[i] == labels[i] ? "" : "x ") + name;
        }
        return out;
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("evaluation cancelled");
        }
    }
}
