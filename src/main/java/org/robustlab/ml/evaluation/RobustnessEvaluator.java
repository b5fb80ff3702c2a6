package org.robustlab.ml.evaluation;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import org.robustlab.ml.attack.Attack;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.model.Forward;

/**
 * Clean accuracy, robust accuracy under each attack, per-class accuracy and the per-example worst
 * case over the attacks run at each epsilon (pitfall 8: the mean over attacks would flatter the model).
 * Every batch lives in its own sub-manager.
 */
public final class RobustnessEvaluator {

    private final int batchSize;
    private final long seed;
    private BooleanSupplier cancelled = () -> false;
    private IntConsumer progress = done -> {};
    private Map<String, Block> surrogates = Map.of();

    public RobustnessEvaluator(int batchSize, long seed) {
        this.batchSize = batchSize;
        this.seed = seed;
    }

    /** Checked between batches; evaluation stops with {@link CancellationException}. */
    public RobustnessEvaluator optCancellation(BooleanSupplier cancelled) {
        this.cancelled = cancelled;
        return this;
    }

    /** Told the number of (attack, batch) units done after each one. */
    public RobustnessEvaluator optProgress(IntConsumer progress) {
        this.progress = progress;
        return this;
    }

    /**
     * Models that transfer attacks are made on, by the key their {@link AttackSpec#surrogate()} names.
     */
    public RobustnessEvaluator optSurrogates(Map<String, Block> surrogates) {
        this.surrogates = Map.copyOf(surrogates);
        return this;
    }

    /** Units of work {@link #evaluate} reports through the progress callback. */
    public int totalUnits(ImageDataset test, List<AttackSpec> attacks) {
        return (attacks.size() + 1) * new BatchLoader(test, batchSize, false, false, seed).batchesPerEpoch();
    }

    public RobustnessReport evaluate(Block model, NDManager manager, ImageDataset test, List<AttackSpec> attacks, String checkpoint) {
        long start = System.nanoTime();
        BatchLoader loader = new BatchLoader(test, batchSize, false, false, seed);
        int n = test.size();
        int classes = test.numClasses();
        boolean[] clean = new boolean[n];
        int units = 0;
        for (int b = 0; b < loader.batchesPerEpoch(); b++) {
            checkCancelled();
            try (NDManager s = manager.newSubManager()) {
                BatchLoader.Batch batch = loader.batch(s, 0, b);
                mark(Forward.predictions(model, batch.x()), batch, clean, b);
            }
            progress.accept(++units);
        }
        List<RobustnessReport.AttackResult> results = new ArrayList<>();
        Map<Float, boolean[]> worst = new TreeMap<>();
        Map<Float, List<String>> worstAttacks = new LinkedHashMap<>();
        for (int a = 0; a < attacks.size(); a++) {
            AttackSpec spec = attacks.get(a);
            Attack attack = Attack.of(spec, seed * 31 + a, cancelled);
            Block attacked = model;
            if (spec.surrogate() != null) {
                attacked = surrogates.get(spec.surrogate());
                if (attacked == null) {
                    throw new IllegalArgumentException("no surrogate model '" + spec.surrogate() + "' for " + spec.label());
                }
            }
            Engine.getInstance().setRandomSeed((int) (seed * 31 + a));
            boolean[] robust = new boolean[n];
            long t0 = System.nanoTime();
            for (int b = 0; b < loader.batchesPerEpoch(); b++) {
                checkCancelled();
                try (NDManager s = manager.newSubManager()) {
                    BatchLoader.Batch batch = loader.batch(s, 0, b);
                    NDArray adv = attack.perturb(attacked, batch.x(), batch.y());
                    mark(Forward.predictions(model, adv), batch, robust, b);
                }
                progress.accept(++units);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            for (int i = 0; i < n; i++) {
                robust[i] &= clean[i];
            }
            results.add(new RobustnessReport.AttackResult(spec.label(), spec, spec.epsilon(), fraction(robust),
                    perClass(robust, test, classes), n / Math.max(secs, 1e-9)));
            boolean[] w = worst.computeIfAbsent(spec.epsilon(), e -> clean.clone());
            for (int i = 0; i < n; i++) {
                w[i] &= robust[i];
            }
            worstAttacks.computeIfAbsent(spec.epsilon(), e -> new ArrayList<>()).add(spec.label());
        }
        List<RobustnessReport.WorstCase> worstCase = new ArrayList<>();
        worst.forEach((eps, w) -> worstCase.add(new RobustnessReport.WorstCase(eps, List.copyOf(worstAttacks.get(eps)), fraction(w))));
        List<Double> cleanPerClass = perClass(clean, test, classes);
        List<List<Double>> worstPerClass = new ArrayList<>();
        worst.values().forEach(w -> worstPerClass.add(perClass(w, test, classes)));
        int[] counts = new int[classes];
        for (int i = 0; i < n; i++) {
            counts[test.label(i)]++;
        }
        List<RobustnessReport.ClassAccuracy> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            List<Double> wc = new ArrayList<>();
            for (List<Double> w : worstPerClass) {
                wc.add(w.get(c));
            }
            byClass.add(new RobustnessReport.ClassAccuracy(c, c < test.classNames().size() ? test.classNames().get(c) : null, counts[c],
                    cleanPerClass.get(c), wc));
        }
        return new RobustnessReport(checkpoint, n, seed, fraction(clean), results, worstCase, byClass, List.of(), null, List.of(),
                (System.nanoTime() - start) / 1e9);
    }


    private void mark(int[] predictions, BatchLoader.Batch batch, boolean[] correct, int b) {
        for (int i = 0; i < predictions.length; i++) {
            correct[b * batchSize + i] = predictions[i] == batch.labels()[i];
        }
    }

    private void checkCancelled() {
        if (cancelled.getAsBoolean()) {
            throw new CancellationException("evaluation cancelled");
        }
    }

    static double fraction(boolean[] flags) {
        int c = 0;
        for (boolean f : flags) {
            if (f) {
                c++;
            }
        }
        return flags.length == 0 ? 0 : (double) c / flags.length;
    }

    private static List<Double> perClass(boolean[] correct, ImageDataset test, int classes) {
        int[] hit = new int[classes];
        int[] total = new int[classes];
        for (int i = 0; i < correct.length; i++) {
            total[test.label(i)]++;
            if (correct[i]) {
                hit[test.label(i)]++;
            }
        }
        List<Double> out = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            out.add(total[c] == 0 ? null : (double) hit[c] / total[c]);
        }
        return out;
    }

    /** The attacks for a list of epsilons: each template at each epsilon (PGD keeps its step/epsilon ratio). */
    public static List<AttackSpec> atEpsilons(List<AttackSpec> templates, List<Float> epsilons) {
        List<AttackSpec> out = new ArrayList<>();
        for (float eps : epsilons) {
            for (AttackSpec t : templates) {
                out.add(t.withEpsilon(eps));
            }
        }
        return out;
    }
}
