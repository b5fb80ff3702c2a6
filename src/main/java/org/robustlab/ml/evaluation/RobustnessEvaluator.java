package org.robustlab.ml.evaluation;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.nio.file.Path;
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
import org.robustlab.ml.loss.Losses;
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
    private Path stateFile;
    private boolean autoAttackChecks = true;

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

    /**
     * Saves the evaluation's state to {@code file} after each (attack, batch) unit, and resumes from it: an evaluation
     * interrupted (a killed worker, a restarted service) continues where it was.
     */
    public RobustnessEvaluator optState(Path file) {
        this.stateFile = file;
        return this;
    }

    /** Whether to run AutoAttack's checks ({@link AutoAttackChecks}; on by default, off for a training run's validation). */
    public RobustnessEvaluator optAutoAttackChecks(boolean run) {
        this.autoAttackChecks = run;
        return this;
    }

    /** Units of work {@link #evaluate} reports through the progress callback. */
    public int totalUnits(ImageDataset test, List<AttackSpec> attacks) {
        return (attacks.size() + 1) * new BatchLoader(test, batchSize, false, false, seed).batchesPerEpoch();
    }

    public RobustnessReport evaluate(Block model, NDManager manager, ImageDataset test, List<AttackSpec> attacks, String checkpoint) {
        return run(model, manager, test, attacks, checkpoint).report();
    }

    /** An evaluation's report and its per-example record. */
    public record Evaluation(RobustnessReport report, ExampleRecord examples) {}

    /**
     * Evaluates {@code model} on {@code test} under each attack. Every (attack, batch) unit draws from a generator
     * seeded by (seed, attack, batch), so that a unit gives the same result whenever it runs; with
     * {@link #optState} set, the state is saved after each unit and an evaluation started again on the same state
     * (the same attacks, points, batch size and seed) skips the units it has done and ends with the same report and record.
     */
    public Evaluation run(Block model, NDManager manager, ImageDataset test, List<AttackSpec> attacks, String checkpoint) {
        long start = System.nanoTime();
        BatchLoader loader = new BatchLoader(test, batchSize, false, false, seed);
        int n = test.size();
        int batches = loader.batchesPerEpoch();
        int classes = test.numClasses();
        EvaluationState state = EvaluationState.load(stateFile, fingerprint(test, attacks), n, attacks.size(), batches);
        int units = 0;
        if (state.checks == null) {
            state.checks = autoAttackChecks ? AutoAttackChecks.before(model, manager, loader, attacks, classes) : List.of();
            state.save(stateFile);
        }
        for (int b = 0; b < batches; b++) {
            if (!state.cleanDone[b]) {
                checkCancelled();
                try (NDManager s = manager.newSubManager()) {
                    BatchLoader.Batch batch = loader.batch(s, 0, b);
                    record(Forward.logits(model, batch.x(), false), batch, state.clean, state.cleanMargin, b);
                }
                state.cleanDone[b] = true;
                state.save(stateFile);
            }
            progress.accept(++units);
        }
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
            for (int b = 0; b < batches; b++) {
                if (!state.done[a][b]) {
                    checkCancelled();
                    long t0 = System.nanoTime();
                    Engine.getInstance().setRandomSeed(unitSeed(a, b));
                    try (NDManager s = manager.newSubManager()) {
                        BatchLoader.Batch batch = loader.batch(s, 0, b);
                        NDArray adv = attack.perturb(attacked, batch.x(), batch.y());
                        record(Forward.logits(model, adv, false), batch, state.robust[a], state.margin[a], b);
                    }
                    state.seconds[a] += (System.nanoTime() - t0) / 1e9;
                    state.done[a][b] = true;
                    state.save(stateFile);
                }
                progress.accept(++units);
            }
        }
        return new Evaluation(report(test, attacks, checkpoint, state, start), examples(test, attacks, state));
    }

    /** The state's figures as a report: accuracies with their 95% intervals, worst cases, per class, AutoAttack's checks. */
    private RobustnessReport report(ImageDataset test, List<AttackSpec> attacks, String checkpoint, EvaluationState state, long start) {
        int n = test.size();
        int classes = test.numClasses();
        boolean[] clean = state.clean;
        List<RobustnessReport.AttackResult> results = new ArrayList<>();
        Map<Float, boolean[]> worst = new TreeMap<>();
        Map<Float, List<String>> worstAttacks = new LinkedHashMap<>();
        for (int a = 0; a < attacks.size(); a++) {
            AttackSpec spec = attacks.get(a);
            boolean[] robust = new boolean[n];
            for (int i = 0; i < n; i++) {
                robust[i] = state.robust[a][i] && clean[i];
            }
            results.add(new RobustnessReport.AttackResult(spec.label(), spec, spec.epsilon(), fraction(robust),
                    perClass(robust, test, classes), n / Math.max(state.seconds[a], 1e-9), interval(robust)));
            boolean[] w = worst.computeIfAbsent(spec.epsilon(), e -> clean.clone());
            for (int i = 0; i < n; i++) {
                w[i] &= robust[i];
            }
            worstAttacks.computeIfAbsent(spec.epsilon(), e -> new ArrayList<>()).add(spec.label());
        }
        List<RobustnessReport.WorstCase> worstCase = new ArrayList<>();
        worst.forEach((eps, w) -> worstCase.add(new RobustnessReport.WorstCase(eps, List.copyOf(worstAttacks.get(eps)), fraction(w),
                interval(w))));
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
        List<MaskingCheck> checks = new ArrayList<>(state.checks);
        if (autoAttackChecks) {
            checks.addAll(AutoAttackChecks.after(results));
        }
        return new RobustnessReport(checkpoint, n, seed, fraction(clean), results, worstCase, byClass, List.of(), null, List.of(),
                (System.nanoTime() - start) / 1e9, interval(clean), checks, null);
    }

    /** Per point: clean, and at each epsilon the first attack that broke it and the smallest margin over its attacks. */
    private static ExampleRecord examples(ImageDataset test, List<AttackSpec> attacks, EvaluationState state) {
        int n = test.size();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = test.label(i);
        }
        List<Float> epsilons = attacks.stream().map(AttackSpec::epsilon).distinct().sorted().toList();
        List<String[]> brokenBy = new ArrayList<>();
        List<float[]> margin = new ArrayList<>();
        for (float eps : epsilons) {
            String[] by = new String[n];
            float[] m = new float[n];
            java.util.Arrays.fill(m, Float.POSITIVE_INFINITY);
            for (int a = 0; a < attacks.size(); a++) {
                if (attacks.get(a).epsilon() != eps) {
                    continue;
                }
                for (int i = 0; i < n; i++) {
                    if (by[i] == null && state.clean[i] && !state.robust[a][i]) {
                        by[i] = attacks.get(a).label();
                    }
                    m[i] = Math.min(m[i], state.margin[a][i]);
                }
            }
            brokenBy.add(by);
            margin.add(m);
        }
        return new ExampleRecord(labels, state.clean.clone(), state.cleanMargin.clone(), epsilons, brokenBy, margin);
    }

    /** The seed of unit (attack, batch): the same stream wherever and whenever the unit runs. */
    private int unitSeed(int attack, int batch) {
        long h = seed * 1_000_003L + attack * 10_007L + batch;
        return (int) ((h ^ (h >>> 31)) & 0x7fffffff);
    }

    /** What a saved state must match to be resumed: the points, the attacks and their order, the batch size and the seed. */
    private String fingerprint(ImageDataset test, List<AttackSpec> attacks) {
        StringBuilder sb = new StringBuilder().append(test.name()).append(':').append(test.size()).append(':').append(batchSize)
                .append(':').append(seed);
        for (AttackSpec a : attacks) {
            sb.append('|').append(a);
        }
        return sb.toString();
    }

    /** Records, for the batch's points, whether the logits classify them correctly and their margin. */
    private void record(NDArray logits, BatchLoader.Batch batch, boolean[] correct, float[] margin, int b) {
        int[] predictions = Forward.classes(logits);
        float[] margins = Losses.marginPerExample(logits, batch.y()).neg().toFloatArray();
        for (int i = 0; i < predictions.length; i++) {
            correct[b * batchSize + i] = predictions[i] == batch.labels()[i];
            margin[b * batchSize + i] = margins[i];
        }
    }

    private static Statistics.Interval interval(boolean[] flags) {
        int k = 0;
        for (boolean f : flags) {
            if (f) {
                k++;
            }
        }
        return Statistics.clopperPearson(k, flags.length);
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
