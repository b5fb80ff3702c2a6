package org.robustlab.ml.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.attack.GradientAttack;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;

/**
 * Each training method against its PyTorch twin ({@code bench/torch_train.py twin}, written from the papers' reference
 * code): SmallCNN on Fashion-MNIST at epsilon 0.1, from the same weights (standard training for {@value #PRETRAIN_STEPS}
 * steps here, exported, loaded there), the same {@value #STEPS} batches of {@value #BATCH} in the same order, the same
 * SGD (learning rate 0.01, momentum 0.9, weight decay 5e-4). Each side then measures clean and PGD-20 accuracy on the
 * first {@value #TEST} test images; the two must agree within 2 points, and the loss curves, mean by mean over windows of
 * {@value #WINDOW} steps, within {@link #curveTolerance}.
 *
 * <p>The two sides cannot take the same random numbers: SmallCNN's dropout, the attacks' random starts, N-FGSM's noise
 * and GradAlign's are drawn by two generators. So the curves are compared by window means, not step by step, and the
 * tolerances are set from what the randomness alone moves (results/training-twins.md): the twin run against itself with
 * other seeds moved its window means by at most 0.06, and either side's clean and PGD-20 accuracy on 1,000 test images by
 * up to 1.5 and 1.9 points, much of it the sampling of the test points; hence {@value #TEST} test images. The curve bound
 * is twice that 0.06, 0.12, or 5% of the loss where larger. Both sides are seeded, so a run on a given machine repeats.
 * To keep the comparison about training, each side's evaluation must also agree on the same weights: the twin evaluates
 * RobustLab's trained model too. The methods start past SmallCNN's initial plateau (when a run leaves it is a matter of
 * the random draws: a first version of this test that started from the initialisation saw the sides 11 points of
 * PGD-20 apart), and the learning rate is 0.01 (at 0.05 the seeds alone moved PGD-20 by 3 points). PGD attacks take 3
 * steps here, not 10, so that the seven twins train in minutes on two cores.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainingTwinTest {

    static final int STEPS = 200;
    static final int BATCH = 64;
    static final int TEST = 3000;
    static final int WINDOW = 25;
    static final float EPS = 0.1f;
    static final float LR = 0.01f;
    static final float PRETRAIN_LR = 0.05f;
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    static final int PRETRAIN_STEPS = 150;
    /** The shared starting point, kept under target/ so that the twin can be run by hand (see results/training-twins.md). */
    static final Path INIT = Path.of("target", "twin-init.safetensors");
    /** RobustLab's trained model, which the twin also evaluates: the two evaluations must agree on the same weights. */
    static final Path TRAINED = Path.of("target", "twin-trained.safetensors");
    private static final ModelSpec SPEC = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);

    private ImageDataset train;
    private ImageDataset test;

    @BeforeAll
    void dataAndStartingPoint() throws IOException {
        DatasetLocator locator = new DatasetLocator(Path.of("data"), false);
        train = locator.load(DatasetId.FASHION_MNIST, true).first(STEPS * BATCH);
        test = locator.load(DatasetId.FASHION_MNIST, false).first(TEST);
        // Standard training first, so that every method starts past SmallCNN's initial plateau: when it leaves that
        // plateau is a matter of the random draws, which the two sides cannot share
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(11);
            try (Model model = Models.create(SPEC, manager)) {
                train(model, TrainingMethod.standard(), manager, PRETRAIN_STEPS, PRETRAIN_LR);
                Files.createDirectories(INIT.getParent());
                Safetensors.write(model.getBlock(), INIT, Map.of("architecture", "small-cnn"), 0);
            }
        }
    }

    /** RobustLab's seed for the methods' runs; -Drobustlab.twin.seed=N runs another draw (results/training-twins.md). */
    static final int SEED = Integer.getInteger("robustlab.twin.seed", 12);

    /** All methods, or those named in -Drobustlab.twin.methods=a,b. */
    static Stream<Arguments> methods() {
        String only = System.getProperty("robustlab.twin.methods", "");
        return all().filter(a -> only.isBlank() || List.of(only.split(",")).contains((String) a.get()[0]));
    }

    private static Stream<Arguments> all() {
        float pgdStep = EPS / 4;
        return Stream.of(
                Arguments.of("mart", TrainingMethod.mart(6f, EPS, 3, pgdStep),
                        List.of("--method", "mart", "--beta", "6", "--attack-steps", "3", "--alpha", f(pgdStep))),
                Arguments.of("pgd-at+awp", TrainingMethod.pgdAt(EPS, 3, pgdStep).withWeightPerturbation(awp(0.01f)),
                        List.of("--method", "pgd-at", "--attack-steps", "3", "--alpha", f(pgdStep), "--awp-gamma", "0.01")),
                Arguments.of("trades+awp", TrainingMethod.trades(6f, EPS, 3, pgdStep).withWeightPerturbation(awp(0.005f)),
                        List.of("--method", "trades", "--beta", "6", "--attack-steps", "3", "--alpha", f(pgdStep), "--awp-gamma", "0.005")),
                Arguments.of("arr+awp", TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(EPS)).withWeightPerturbation(awp(0.01f)),
                        List.of("--method", "arr", "--lam", "1", "--alpha", f(1.25f * EPS), "--awp-gamma", "0.01")),
                Arguments.of("fgsm-rs", TrainingMethod.fgsmRs(EPS, 1.25f * EPS),
                        List.of("--method", "fgsm-rs", "--alpha", f(1.25f * EPS))),
                Arguments.of("n-fgsm", TrainingMethod.nFgsm(EPS, EPS, 2 * EPS),
                        List.of("--method", "n-fgsm", "--alpha", f(EPS), "--noise", f(2 * EPS))),
                Arguments.of("fgsm-rs+gradalign", TrainingMethod.fgsmRs(EPS, 1.25f * EPS).withGradAlign(0.2f),
                        List.of("--method", "fgsm-rs", "--alpha", f(1.25f * EPS), "--gradalign", "0.2")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methods")
    void trainsAsItsPyTorchTwinDoes(String label, TrainingMethod method, List<String> twinArgs) throws Exception {
        assumeTrue(Files.isExecutable(PYTHON), "python3 with torch (Debian's python3-torch) runs the twin");
        Run ours;
        try (NDManager manager = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(SEED);
            try (Model model = Models.create(SPEC, manager)) {
                Safetensors.load(model.getBlock(), INIT);
                ours = train(model, method, manager, STEPS, LR);
                Safetensors.write(model.getBlock(), TRAINED, Map.of("architecture", "small-cnn"), 0);
            }
        }
        JsonObject theirs = twin(INIT, SPEC, twinArgs);
        List<Double> theirLosses = new ArrayList<>();
        theirs.getAsJsonArray("losses").forEach(e -> theirLosses.add(e.getAsDouble()));
        assertThat(theirLosses).hasSize(STEPS);
        String report = String.format(Locale.ROOT, "%s: RobustLab clean %.3f PGD-20 %.3f (%.0f s); PyTorch clean %.3f PGD-20 %.3f"
                        + " (%.0f s); PyTorch on RobustLab's weights clean %.3f PGD-20 %.3f; window means ours %s theirs %s", label,
                ours.clean, ours.pgd20, ours.seconds, theirs.get("clean").getAsDouble(), theirs.get("pgd20").getAsDouble(),
                theirs.get("seconds").getAsDouble(), theirs.get("their_weights_clean").getAsDouble(),
                theirs.get("their_weights_pgd20").getAsDouble(), windows(ours.losses), windows(theirLosses));
        System.out.println("TrainingTwinTest " + report);
        assertThat(theirs.get("their_weights_clean").getAsDouble()).as("clean accuracy of the same weights on both sides; %s", report)
                .isCloseTo(ours.clean, org.assertj.core.api.Assertions.within(0.001));
        assertThat(theirs.get("their_weights_pgd20").getAsDouble()).as("PGD-20 of the same weights on both sides (random starts"
                + " differ); %s", report).isCloseTo(ours.pgd20, org.assertj.core.api.Assertions.within(0.01));
        List<Double> a = windows(ours.losses);
        List<Double> b = windows(theirLosses);
        for (int w = 0; w < a.size(); w++) {
            assertThat(a.get(w)).as("window %d's mean loss; %s", w, report).isCloseTo(b.get(w),
                    org.assertj.core.api.Assertions.within(curveTolerance(b.get(w))));
        }
        assertThat(ours.clean).as("clean accuracy; %s", report)
                .isCloseTo(theirs.get("clean").getAsDouble(), org.assertj.core.api.Assertions.within(0.02));
        assertThat(ours.pgd20).as("PGD-20 accuracy; %s", report)
                .isCloseTo(theirs.get("pgd20").getAsDouble(), org.assertj.core.api.Assertions.within(0.02));
        assertThat(a.get(a.size() - 1)).as("the method learns: its last window's loss is below its first; %s", report)
                .isLessThan(a.get(0));
    }

    /** 0.12 absolute or 5% relative, whichever is larger (see the class comment). */
    static double curveTolerance(double reference) {
        return Math.max(0.12, 0.05 * Math.abs(reference));
    }

    private record Run(List<Double> losses, double clean, double pgd20, double seconds) {}

    private Run train(Model model, TrainingMethod method, NDManager manager, int steps, float lr) {
        long start = System.nanoTime();
        List<NDArray> params = Models.trainableArrays(model.getBlock());
        Sgd sgd = new Sgd(params, 0.9f, false, 5e-4f, model.getNDManager());
        sgd.zeroGradients();
        TrainingStep step = new TrainingStep(method);
        BatchLoader loader = new BatchLoader(train, BATCH, false, false, 1);
        List<Double> losses = new ArrayList<>();
        for (int b = 0; b < steps; b++) {
            try (NDManager s = manager.newSubManager()) {
                BatchLoader.Batch batch = loader.batch(s, 0, b);
                NDArray figures = step.forwardBackward(model.getBlock(), batch.x(), batch.y(), method.weight(),
                        method.weightPerturbation() != null, s);
                sgd.step(lr);
                step.restoreWeights();
                losses.add((double) TrainingStep.read(figures).loss());
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int clean = 0;
        int robust = 0;
        GradientAttack pgd = new GradientAttack(AttackSpec.pgd(EPS, 20, EPS / 4));
        BatchLoader testLoader = new BatchLoader(test, 250, false, false, 1);
        for (int b = 0; b < testLoader.batchesPerEpoch(); b++) {
            try (NDManager s = manager.newSubManager()) {
                BatchLoader.Batch batch = testLoader.batch(s, 0, b);
                int[] cleanPred = Forward.predictions(model.getBlock(), batch.x());
                int[] advPred = Forward.predictions(model.getBlock(), pgd.perturb(model.getBlock(), batch.x(), batch.y()));
                for (int i = 0; i < batch.size(); i++) {
                    boolean ok = cleanPred[i] == batch.labels()[i];
                    clean += ok ? 1 : 0;
                    robust += ok && advPred[i] == batch.labels()[i] ? 1 : 0;
                }
            }
        }
        return new Run(losses, (double) clean / TEST, (double) robust / TEST, seconds);
    }

    private static JsonObject twin(Path weights, ModelSpec spec, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON.toString(), "bench/torch_train.py", "twin", "--data", "/usr/share/datasets",
                "--weights", weights.toString(), "--steps", Integer.toString(STEPS), "--batch", Integer.toString(BATCH),
                "--lr", f(LR), "--eps", f(EPS), "--test", Integer.toString(TEST),
                "--mean", f(spec.mean()[0]), "--std", f(spec.std()[0]), "--eval-weights", TRAINED.toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.MINUTES)).as("the twin finished").isTrue();
        assumeTrue(p.exitValue() == 0 || !output.contains("No module named 'torch'"), "torch is not installed");
        assertThat(p.exitValue()).as("the twin said: %s", output).isZero();
        String last = output.strip().lines().reduce((x, y) -> y).orElse("");
        return new Gson().fromJson(last, JsonObject.class);
    }

    static List<Double> windows(List<Double> losses) {
        List<Double> out = new ArrayList<>();
        for (int w = 0; w + WINDOW <= losses.size(); w += WINDOW) {
            double sum = 0;
            for (int i = w; i < w + WINDOW; i++) {
                sum += losses.get(i);
            }
            out.add(Math.round(sum / WINDOW * 1000) / 1000.0);
        }
        return out;
    }

    private static TrainingMethod.WeightPerturbation awp(float gamma) {
        return new TrainingMethod.WeightPerturbation(gamma, 0);
    }

    private static String f(float v) {
        return Float.toString(v);
    }
}
