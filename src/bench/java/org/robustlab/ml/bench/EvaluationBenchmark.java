package org.robustlab.ml.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.evaluation.RobustnessEvaluator;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.ml.training.TrainingResult;

/**
 * Evaluation throughput, in images per second, of PGD-20, APGD-CE with 100 steps, and the ensemble
 * at AutoAttack's standard budgets (APGD-CE 100, APGD-T 100 x 9 target classes, Square 5,000
 * queries), on SmallCNN and ResNet-18, epsilon 0.1.
 *
 * <p>The ensemble's cost depends on the model: later stages run only on the examples earlier stages
 * did not break. SmallCNN is therefore an ARR model trained here on real Fashion-MNIST (5,000 images,
 * 3 epochs), evaluated on the first test images. CIFAR-10 is not available on this machine, so
 * ResNet-18 is randomly initialised and evaluated on random CIFAR-shaped images labelled with its
 * own predictions (every example starts correctly classified; such a model breaks at once, so its
 * ensemble figure is close to the APGD-CE cost alone).
 *
 * <p>A third model gives the ensemble's cost on a ResNet-18 that resists: ResNet-18 trained here with ARR on
 * 5,000 Fashion-MNIST images (1x28x28) for {@code --resnet-fashion-epochs} (0 by default: skipped; the
 * recorded run used 3, about 25 minutes in all).
 *
 * <p>With {@code --device gpu} everything (training the models too) runs on GPU 0; each evaluation's
 * time ends with its predictions read back, so it is the device's time.
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.EvaluationBenchmark [--device cpu|gpu] [--small-points N]
 * [--resnet-points N] [--resnet-fashion-epochs N] [--resnet-fashion-points N] [--only-resnet-fashion]}
 */
public final class EvaluationBenchmark {

    private static final float EPS = 0.1f;

    private EvaluationBenchmark() {}

    public static void main(String[] args) throws IOException {
        int smallPoints = 200;
        int resnetPoints = 32;
        int resnetFashionEpochs = 0;
        int resnetFashionPoints = 50;
        boolean onlyResnetFashion = List.of(args).contains("--only-resnet-fashion");
        Device device = Device.cpu();
        for (int i = 0; i < args.length - 1; i++) {
            switch (args[i]) {
                case "--small-points" -> smallPoints = Integer.parseInt(args[i + 1]);
                case "--resnet-points" -> resnetPoints = Integer.parseInt(args[i + 1]);
                case "--resnet-fashion-epochs" -> resnetFashionEpochs = Integer.parseInt(args[i + 1]);
                case "--resnet-fashion-points" -> resnetFashionPoints = Integer.parseInt(args[i + 1]);
                case "--device" -> device = args[i + 1].startsWith("gpu") ? Device.gpu(0) : Device.cpu();
                default -> { }
            }
        }
        System.out.println("# RobustLab evaluation benchmark, device " + device);
        for (String line : Benchmark.header(device)) {
            System.out.println(line);
        }
        List<AttackSpec> attacks = List.of(AttackSpec.pgd20(EPS), AttackSpec.apgdCe(EPS, 100), AttackSpec.ensemble(EPS, 100, 9, 5000));
        StringBuilder table = new StringBuilder("| model | data | attack | test points | robust accuracy | images/s | seconds |\n|---|---|---|---|---|---|---|\n");

        Path dir = Files.createTempDirectory("robustlab-evalbench");
        DatasetLocator locator = new DatasetLocator(Path.of("data"), false);
        ImageDataset train = locator.load(DatasetId.FASHION_MNIST, true);
        ImageDataset fmTest = locator.load(DatasetId.FASHION_MNIST, false).first(smallPoints);
        TrainingPlan plan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN,
                        TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(EPS)), 3, 0.05f, EPS, 1)
                .withTrainSubset(5000).withValidationSize(500).withValidationPgdSteps(5);
        if (!onlyResnetFashion) {
            TrainingResult trained = new TrainingLoop(plan, dir.resolve("small-cnn"), device).run(train);
            try (NDManager manager = NDManager.newBaseManager(device);
                    Model model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager)) {
                Checkpoints.restoreParameters(trained.lastCheckpoint(), model);
                run(table, "SmallCNN (ARR, 3 epochs)", "Fashion-MNIST test", model.getBlock(), manager, fmTest, attacks);
            }
            try (NDManager manager = NDManager.newBaseManager(device);
                    Model model = Models.create(ModelSpec.of(Architecture.RESNET18, DatasetId.CIFAR10), manager)) {
                ImageDataset synthetic = selfLabelled(model.getBlock(), manager, resnetPoints);
                run(table, "ResNet-18 (random init)", "random 3x32x32, own labels", model.getBlock(), manager, synthetic, attacks);
            }
        }
        if (resnetFashionEpochs > 0) {
            // a ResNet-18 with some robustness, so that the ensemble's later stages have work: ARR on Fashion-MNIST
            TrainingPlan resnetPlan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.RESNET18,
                            TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(EPS)), resnetFashionEpochs, 0.05f, EPS, 1)
                    .withTrainSubset(5000).withValidationSize(200).withValidationPgdSteps(2);
            long t0 = System.nanoTime();
            TrainingResult resnet = new TrainingLoop(resnetPlan, dir.resolve("resnet18"), device).run(train);
            System.out.printf(Locale.ROOT, "ResNet-18 ARR on Fashion-MNIST: %d epoch(s) in %.1f min, %s%n", resnetFashionEpochs,
                    (System.nanoTime() - t0) / 6e10, resnet.history().get(resnet.history().size() - 1));
            try (NDManager manager = NDManager.newBaseManager(device);
                    Model model = Models.create(ModelSpec.of(Architecture.RESNET18, DatasetId.FASHION_MNIST), manager)) {
                Checkpoints.restoreParameters(resnet.lastCheckpoint(), model);
                run(table, "ResNet-18 (ARR, " + resnetFashionEpochs + " epochs, 1x28x28)", "Fashion-MNIST test", model.getBlock(), manager,
                        locator.load(DatasetId.FASHION_MNIST, false).first(resnetFashionPoints), attacks);
            }
        }
        Checkpoints.deleteTree(dir);
        System.out.println();
        System.out.print(table);
    }

    private static void run(StringBuilder table, String model, String data, Block block, NDManager manager, ImageDataset test,
            List<AttackSpec> attacks) {
        for (AttackSpec attack : attacks) {
            long start = System.nanoTime();
            RobustnessReport r = new RobustnessEvaluator(100, 0).evaluate(block, manager, test, List.of(attack), model);
            double secs = (System.nanoTime() - start) / 1e9;
            RobustnessReport.AttackResult a = r.results().get(0);
            String line = String.format(Locale.ROOT, "| %s | %s | %s | %d | %.3f | %.2f | %.1f |%n", model, data, describe(attack),
                    test.size(), a.robustAccuracy(), a.imagesPerSecond(), secs);
            System.out.print(line);
            table.append(line);
        }
    }

    private static String describe(AttackSpec a) {
        return switch (a.type()) {
            case ENSEMBLE -> "ensemble (APGD-CE 100, APGD-T 100 x 9, Square 5000)";
            default -> a.label();
        };
    }

    /** Random CIFAR-shaped images labelled with the model's own predictions. */
    private static ImageDataset selfLabelled(Block block, NDManager manager, int n) {
        DatasetId id = DatasetId.CIFAR10;
        byte[] pixels = new byte[n * id.shape().size()];
        new Random(5).nextBytes(pixels);
        ImageDataset unlabelled = new ImageDataset("synthetic", id.shape(), id.numClasses(), pixels, new int[n], id.classNames());
        BatchLoader loader = new BatchLoader(unlabelled, n, false, false, 0);
        int[] labels;
        try (NDManager s = manager.newSubManager()) {
            labels = Forward.predictions(block, loader.batch(s, 0, 0).x());
        }
        return new ImageDataset("synthetic", id.shape(), id.numClasses(), pixels, labels, id.classNames());
    }
}
