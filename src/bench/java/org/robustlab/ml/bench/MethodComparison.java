package org.robustlab.ml.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.evaluation.RobustnessEvaluator;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.ml.training.TrainingResult;

/**
 * The comparison a robustness paper needs: every training method on Fashion-MNIST at epsilon 0.1 (SmallCNN, the same
 * data, epochs, optimiser and schedule), over several seeds, each evaluated at its best-robust checkpoint on the test
 * set: clean, PGD-20 (step epsilon/4, random start) and the AutoAttack ensemble (APGD-CE, APGD-T, FAB-T, Square at the
 * budgets given). The table gives the mean and standard deviation over the seeds, the best-robust epoch, minutes per
 * epoch and the cost per epoch relative to ARR-FGSM. Every run is appended to the CSV as it finishes, so a long run
 * can be stopped and its table written from what is there ({@code --table-only true}).
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.MethodComparison [--epochs 10] [--train-subset 0]
 * [--test-points 10000] [--seeds 1,2,3] [--ensemble 100,9,5000] [--methods ...] [--out results/method-comparison.md]
 * [--csv results/method-comparison.csv]}
 */
public final class MethodComparison {

    static final List<String> ALL = List.of("standard", "arr-fgsm", "arr-pgd3", "arr-fgsm-awp", "pgd-at", "pgd-at-awp", "trades",
            "trades-awp", "mart", "fgsm-rs", "n-fgsm", "gradalign");

    private MethodComparison() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>(Map.of("--epochs", "10", "--train-subset", "0", "--test-points", "10000",
                "--seeds", "1,2,3", "--ensemble", "100,9,5000", "--lr", "0.05", "--methods", String.join(",", ALL),
                "--out", "results/method-comparison.md", "--csv", "results/method-comparison.csv", "--runs", "runs/comparison"));
        defaults.put("--table-only", "false");
        Map<String, String> opts = BenchOptions.parse(defaults, args);
        int epochs = Integer.parseInt(opts.get("--epochs"));
        int subset = Integer.parseInt(opts.get("--train-subset"));
        int testPoints = Integer.parseInt(opts.get("--test-points"));
        float lr = Float.parseFloat(opts.get("--lr"));
        String[] budget = opts.get("--ensemble").split(",");
        int steps = Integer.parseInt(budget[0]);
        int targets = Integer.parseInt(budget[1]);
        int queries = Integer.parseInt(budget[2]);
        float eps = 0.1f;
        Path csv = Path.of(opts.get("--csv"));
        String header = String.format(Locale.ROOT, "Fashion-MNIST, SmallCNN, epsilon %.2f, %d epochs, train subset %s, %d test points,"
                + " SGD lr %.3g momentum 0.9 wd 5e-4, multistep schedule (x0.1 at 50%% and 75%%), batch 128; validation: 1,000"
                + " held-out training images, PGD-10 each epoch; every figure at the best-robust checkpoint. Ensemble: APGD-CE %d"
                + " steps, APGD-T %d steps x %d targets, FAB-T, Square %d queries.", eps, epochs,
                subset == 0 ? "all (59,000 after validation split)" : Integer.toString(subset), testPoints, lr, steps, steps, targets,
                queries);
        if (!Boolean.parseBoolean(opts.get("--table-only"))) {
            DatasetLocator locator = new DatasetLocator(Path.of("data"), false);
            ImageDataset train = locator.load(DatasetId.FASHION_MNIST, true);
            ImageDataset test = locator.load(DatasetId.FASHION_MNIST, false).first(testPoints);
            if (csv.getParent() != null) {
                Files.createDirectories(csv.getParent());
            }
            if (!Files.exists(csv)) {
                Files.writeString(csv, "method,seed,clean,pgd20,ensemble,best_epoch,epochs_run,min_per_epoch,status\n", StandardCharsets.UTF_8);
            }
            for (String seedText : opts.get("--seeds").split(",")) {
                long seed = Long.parseLong(seedText);
                for (String name : opts.get("--methods").split(",")) {
                    String row = run(name, seed, eps, epochs, subset, lr, steps, targets, queries, train, test, Path.of(opts.get("--runs")));
                    Files.writeString(csv, row + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
                    System.out.println(row);
                }
            }
        }
        List<String> lines = table(header, Files.readAllLines(csv));
        Path out = Path.of(opts.get("--out"));
        Files.write(out, lines);
        lines.forEach(System.out::println);
    }

    static TrainingMethod method(String name, float eps) {
        return switch (name) {
            case "standard" -> TrainingMethod.standard();
            case "arr-fgsm" -> TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(eps));
            case "arr-pgd3" -> TrainingMethod.arr(1f, Divergence.KL, AttackSpec.pgd(eps, 3, eps / 2));
            case "arr-fgsm-awp" -> TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(eps))
                    .withWeightPerturbation(new TrainingMethod.WeightPerturbation(0.01f, 0));
            case "pgd-at" -> TrainingMethod.pgdAt(eps, 10, eps / 4);
            case "pgd-at-awp" -> TrainingMethod.pgdAt(eps, 10, eps / 4).withWeightPerturbation(new TrainingMethod.WeightPerturbation(0.01f, 0));
            case "trades" -> TrainingMethod.trades(6f, eps, 10, eps / 4);
            case "trades-awp" -> TrainingMethod.trades(6f, eps, 10, eps / 4)
                    .withWeightPerturbation(new TrainingMethod.WeightPerturbation(0.005f, 0));
            case "mart" -> TrainingMethod.mart(6f, eps, 10, eps / 4);
            case "fgsm-rs" -> TrainingMethod.fgsmRs(eps, 1.25f * eps);
            case "n-fgsm" -> TrainingMethod.nFgsm(eps, eps, 2 * eps);
            case "gradalign" -> TrainingMethod.fgsmRs(eps, 1.25f * eps).withGradAlign(0.2f);
            default -> throw new IllegalArgumentException("unknown method " + name + "; expected one of " + ALL);
        };
    }

    private static String run(String name, long seed, float eps, int epochs, int subset, float lr, int steps, int targets, int queries,
            ImageDataset train, ImageDataset test, Path runs) throws IOException {
        TrainingPlan plan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN, method(name, eps), epochs, lr, eps, seed)
                .withTrainSubset(subset);
        Path runDir = runs.resolve(name + "-seed" + seed);
        Checkpoints.deleteTree(runDir);
        TrainingResult result = new TrainingLoop(plan, runDir, Device.cpu()).run(train);
        double minutes = 0;
        for (EpochMetrics m : result.history()) {
            minutes += m.seconds() / 60;
        }
        ModelSpec spec = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Model model = Models.create(spec, manager)) {
            Checkpoints.restoreParameters(result.bestCheckpoint(), model);
            RobustnessReport report = new RobustnessEvaluator(250, seed).optAutoAttackChecks(false).evaluate(model.getBlock(), manager,
                    test, List.of(AttackSpec.pgd20(eps), AttackSpec.ensemble(eps, steps, targets, queries)), name + " seed " + seed);
            return String.format(Locale.ROOT, "%s,%d,%.4f,%.4f,%.4f,%d,%d,%.3f,%s", name, seed, report.cleanAccuracy(),
                    report.results().get(0).robustAccuracy(), report.results().get(1).robustAccuracy(), result.bestEpoch(),
                    result.history().size(), minutes / Math.max(1, result.history().size()), result.status());
        }
    }

    /** The markdown table of the CSV's rows: per method, the mean and standard deviation over its seeds. */
    static List<String> table(String header, List<String> csvLines) {
        Map<String, List<String[]>> byMethod = new LinkedHashMap<>();
        for (String line : csvLines.subList(1, csvLines.size())) {
            String[] f = line.split(",");
            byMethod.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
        }
        double arrCost = byMethod.containsKey("arr-fgsm") ? mean(byMethod.get("arr-fgsm"), 7)[0] : Double.NaN;
        List<String> lines = new ArrayList<>();
        lines.add(header);
        lines.add("");
        lines.add("| method | seeds | clean | PGD-20 | ensemble | best-robust epoch | min/epoch | cost vs ARR-FGSM |");
        lines.add("|---|---|---|---|---|---|---|---|");
        for (Map.Entry<String, List<String[]>> e : byMethod.entrySet()) {
            List<String[]> rows = e.getValue();
            double[] clean = mean(rows, 2);
            double[] pgd = mean(rows, 3);
            double[] ens = mean(rows, 4);
            double[] best = mean(rows, 5);
            double[] min = mean(rows, 7);
            lines.add(String.format(Locale.ROOT, "| %s | %d | %.3f ± %.3f | %.3f ± %.3f | %.3f ± %.3f | %.1f | %.2f | %.2fx |", e.getKey(),
                    rows.size(), clean[0], clean[1], pgd[0], pgd[1], ens[0], ens[1], best[0], min[0], min[0] / arrCost));
        }
        return lines;
    }

    /** {mean, sample standard deviation} of column {@code c}. */
    private static double[] mean(List<String[]> rows, int c) {
        double sum = 0;
        for (String[] r : rows) {
            sum += Double.parseDouble(r[c]);
        }
        double m = sum / rows.size();
        double sq = 0;
        for (String[] r : rows) {
            sq += Math.pow(Double.parseDouble(r[c]) - m, 2);
        }
        return new double[] {m, rows.size() > 1 ? Math.sqrt(sq / (rows.size() - 1)) : 0};
    }
}
