package org.robustlab.ml.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.ml.training.TrainingResult;

/**
 * The paper's comparison on Fashion-MNIST at epsilon 0.1, every method on the same budget (model,
 * data, epochs, optimiser, schedule, seed): standard, ARR (KL, FGSM), ARR (KL, PGD-3), PGD-AT and
 * TRADES. Each model is evaluated at its best-robust checkpoint on the test set under FGSM and
 * PGD-20 (step epsilon/4, random start), with the per-example worst case over both.
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.Experiment [--epochs 10] [--train-subset 0]
 * [--test-points 10000] [--lambda 1] [--beta 6] [--lr 0.05] [--methods standard,arr-fgsm,arr-pgd3,pgd-at,trades]
 * [--out results/fashion-mnist-experiment.md]}
 */
public final class Experiment {

    public static void main(String[] args) throws IOException {
        Map<String, String> defaults = new LinkedHashMap<>(Map.of("--epochs", "10", "--train-subset", "0", "--test-points", "10000",
                "--lambda", "1", "--beta", "6", "--lr", "0.05", "--seed", "1",
                "--methods", "standard,arr-fgsm,arr-pgd3,pgd-at,trades", "--out", "results/fashion-mnist-experiment.md", "--runs", "runs/experiment"));
        Map<String, String> opts = BenchOptions.parse(defaults, args);
        int epochs = Integer.parseInt(opts.get("--epochs"));
        int subset = Integer.parseInt(opts.get("--train-subset"));
        int testPoints = Integer.parseInt(opts.get("--test-points"));
        float lambda = Float.parseFloat(opts.get("--lambda"));
        float beta = Float.parseFloat(opts.get("--beta"));
        float lr = Float.parseFloat(opts.get("--lr"));
        long seed = Long.parseLong(opts.get("--seed"));
        float eps = 0.1f;
        DatasetLocator locator = new DatasetLocator(Path.of("data"), false);
        ImageDataset train = locator.load(DatasetId.FASHION_MNIST, true);
        ImageDataset test = locator.load(DatasetId.FASHION_MNIST, false).first(testPoints);

        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "Fashion-MNIST, SmallCNN, epsilon %.2f, %d epochs, train subset %s, %d test points, "
                + "SGD lr %.3g momentum 0.9 wd 5e-4, multistep schedule (x0.1 at 50%% and 75%%), batch 128, seed %d; "
                + "validation: 1,000 held-out training images, PGD-10 each epoch; test attacks: FGSM and PGD-20 "
                + "(step eps/4, random start); worst case = per example over both.", eps, epochs,
                subset == 0 ? "all (59,000 after validation split)" : Integer.toString(subset), test.size(), lr, seed));
        lines.add("");
        lines.add("| method | checkpoint (epoch) | clean | FGSM | PGD-20 | worst case | min/epoch |");
        lines.add("|---|---|---|---|---|---|---|");
        for (String name : opts.get("--methods").split(",")) {
            TrainingMethod method = switch (name) {
                case "standard" -> TrainingMethod.standard();
                case "arr-fgsm" -> TrainingMethod.arr(lambda, Divergence.KL, AttackSpec.fgsmRandomStart(eps));
                case "arr-pgd3" -> TrainingMethod.arr(lambda, Divergence.KL, AttackSpec.pgd(eps, 3, eps / 2));
                case "arr-l2-fgsm" -> TrainingMethod.arr(lambda, Divergence.L2, AttackSpec.fgsmRandomStart(eps));
                case "pgd-at" -> TrainingMethod.pgdAt(eps, 10, eps / 4);
                case "trades" -> TrainingMethod.trades(beta, eps, 10, eps / 4);
                default -> throw new IllegalArgumentException("unknown method " + name);
            };
            TrainingPlan plan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN, method, epochs, lr, eps, seed)
                    .withTrainSubset(subset);
            Path runDir = Path.of(opts.get("--runs"), name);
            Checkpoints.deleteTree(runDir);
            long t0 = System.nanoTime();
            TrainingResult result = new TrainingLoop(plan, runDir, Device.cpu()).run(train);
            double minutes = (System.nanoTime() - t0) / 60e9;
            ModelSpec spec = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);
            for (String kind : List.of("best-robust", "last")) {
                Path checkpoint = kind.equals("last") ? result.lastCheckpoint() : result.bestCheckpoint();
                int epoch = kind.equals("last") ? result.history().size() : result.bestEpoch();
                try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Model model = Models.create(spec, manager)) {
                    Checkpoints.restoreParameters(checkpoint, model);
                    RobustnessReport report = new RobustnessEvaluator(250, seed).evaluate(model.getBlock(), manager, test,
                            List.of(AttackSpec.fgsm(eps), AttackSpec.pgd20(eps)), name + " " + kind + " epoch " + epoch);
                    String row = String.format(Locale.ROOT, "| %s | %s (%d) | %.3f | %.3f | %.3f | %.3f | %.2f |",
                            label(name, lambda, beta), kind, epoch, report.cleanAccuracy(), report.results().get(0).robustAccuracy(),
                            report.results().get(1).robustAccuracy(), report.worstCaseAccuracy().get(0).accuracy(),
                            minutes / result.history().size());
                    System.out.println(row + "   " + result.status() + (result.reason() == null ? "" : " " + result.reason()));
                    lines.add(row);
                }
            }
        }
        Path out = Path.of(opts.get("--out"));
        if (out.getParent() != null) {
            Files.createDirectories(out.getParent());
        }
        Files.write(out, lines);
        lines.forEach(System.out::println);
    }

    private static String label(String name, float lambda, float beta) {
        return switch (name) {
            case "arr-fgsm" -> "ARR (KL, FGSM), lambda " + lambda;
            case "arr-pgd3" -> "ARR (KL, PGD-3), lambda " + lambda;
            case "arr-l2-fgsm" -> "ARR (L2, FGSM), lambda " + lambda;
            case "pgd-at" -> "PGD-AT (PGD-10)";
            case "trades" -> "TRADES (PGD-10), beta " + beta;
            default -> name;
        };
    }
}
