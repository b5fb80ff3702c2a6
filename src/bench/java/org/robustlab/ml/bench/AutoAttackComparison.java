package org.robustlab.ml.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import tools.jackson.databind.json.JsonMapper;

/**
 * Our side of the comparison with the original AutoAttack (fra31/auto-attack): trains SmallCNN with ARR (KL, FGSM with a
 * random start, lambda 1) on Fashion-MNIST, or takes a checkpoint, and evaluates its best-robust model on the first N test
 * images at epsilon 0.1 with each of AutoAttack standard's attacks alone (each from the clean images, as
 * {@code run_standard_evaluation_individual} runs them) and with the ensemble. It writes, to the output folder, the model
 * as safetensors, the test images and labels as raw little-endian arrays, and {@code ours.json}; then
 * {@code bench/autoattack_compare.py} runs the original on the same model and points and writes the comparison.
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.AutoAttackComparison [--epochs 5] [--train-subset 20000]
 * [--points 1000] [--checkpoint DIR] [--attacks apgd-ce,apgd-t,fab-t,square,ensemble] [--out runs/autoattack-comparison]}.
 * With {@code --attacks} naming only some of them (to measure again an attack whose code changed, on the checkpoint of an
 * earlier run), the figures of the others are kept from the {@code ours.json} already in the output folder, and the file
 * lists the attacks measured by this run under {@code "measuredThisRun"}.
 */
public final class AutoAttackComparison {

    private AutoAttackComparison() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opts = new LinkedHashMap<>(Map.of("--epochs", "5", "--train-subset", "20000", "--points", "1000",
                "--seed", "1", "--checkpoint", "", "--attacks", "apgd-ce,apgd-t,fab-t,square,ensemble", "--out",
                "runs/autoattack-comparison"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!opts.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; expected one of " + opts.keySet());
            }
            opts.put(args[i], args[i + 1]);
        }
        float eps = 0.1f;
        long seed = Long.parseLong(opts.get("--seed"));
        Path out = Files.createDirectories(Path.of(opts.get("--out")));
        DatasetLocator locator = new DatasetLocator(Path.of("data"), false);
        ImageDataset test = locator.load(DatasetId.FASHION_MNIST, false).first(Integer.parseInt(opts.get("--points")));
        Path checkpoint;
        String trained;
        if (opts.get("--checkpoint").isEmpty()) {
            TrainingPlan plan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN,
                    TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(eps)), Integer.parseInt(opts.get("--epochs")), 0.05f,
                    eps, seed).withTrainSubset(Integer.parseInt(opts.get("--train-subset")));
            Path runDir = out.resolve("training");
            Checkpoints.deleteTree(runDir);
            TrainingResult result = new TrainingLoop(plan, runDir, Device.cpu()).run(locator.load(DatasetId.FASHION_MNIST, true));
            checkpoint = result.bestCheckpoint();
            trained = String.format(Locale.ROOT, "ARR (KL, FGSM with random start, lambda 1), SmallCNN, %s training images, %s epochs,"
                    + " SGD 0.05, seed %d; best-robust checkpoint, epoch %d", opts.get("--train-subset"), opts.get("--epochs"), seed,
                    result.bestEpoch());
        } else {
            checkpoint = Path.of(opts.get("--checkpoint"));
            trained = "checkpoint " + checkpoint.getFileName();
        }
        Files.copy(Checkpoints.existing(checkpoint).resolve(Checkpoints.SAFETENSORS_FILE), out.resolve("model.safetensors"),
                StandardCopyOption.REPLACE_EXISTING);
        writeInputs(test, out);

        Map<String, AttackSpec> standard = new LinkedHashMap<>();
        standard.put("apgd-ce", AttackSpec.apgdCe(eps, 100));
        standard.put("apgd-t", AttackSpec.apgdT(eps, 100, 9));
        standard.put("fab-t", AttackSpec.fabT(eps, 100, 9));
        standard.put("square", AttackSpec.square(eps, 5000));
        standard.put("ensemble", AttackSpec.ensemble(eps, 100, 9, 5000));
        List<AttackSpec> attacks = new ArrayList<>();
        for (String name : opts.get("--attacks").split(",")) {
            AttackSpec attack = standard.get(name.trim());
            if (attack == null) {
                throw new IllegalArgumentException("unknown attack " + name + "; expected some of " + standard.keySet());
            }
            attacks.add(attack);
        }
        boolean all = attacks.size() == standard.size();
        ModelSpec spec = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);
        Path oursFile = out.resolve("ours.json");
        JsonMapper json = JsonMapper.builder().build();
        Map<String, Object> ours = new LinkedHashMap<>();
        Map<String, Object> byAttack = new LinkedHashMap<>();
        if (!all) {
            if (!Files.isRegularFile(oursFile)) {
                throw new IllegalArgumentException("--attacks names only some attacks, and " + oursFile + " has no figures for the others");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> earlier = json.readValue(oursFile.toFile(), Map.class);
            ours.putAll(earlier);
            @SuppressWarnings("unchecked")
            Map<String, Object> earlierAttacks = (Map<String, Object>) earlier.get("attacks");
            byAttack.putAll(earlierAttacks);
            trained = (String) earlier.get("model");
        }
        ours.put("model", trained);
        ours.put("points", test.size());
        ours.put("epsilon", eps);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Model model = Models.create(spec, manager)) {
            Checkpoints.restoreParameters(checkpoint, model);
            long t0 = System.nanoTime();
            RobustnessReport report = new RobustnessEvaluator(250, seed).evaluate(model.getBlock(), manager, test, attacks, trained);
            ours.put("clean", report.cleanAccuracy());
            List<String> measured = new ArrayList<>();
            for (RobustnessReport.AttackResult r : report.results()) {
                byAttack.put(r.label(), Map.of("robustAccuracy", r.robustAccuracy(), "imagesPerSecond", r.imagesPerSecond()));
                measured.add(r.label());
            }
            ours.put("attacks", byAttack);
            ours.put("measuredThisRun", measured);
            ours.put("seconds", (System.nanoTime() - t0) / 1e9);
        }
        Files.writeString(oursFile, json.writerWithDefaultPrettyPrinter().writeValueAsString(ours));
        System.out.println(Files.readString(oursFile));
    }

    /** The test images as float32 (N, 1, 28, 28) in [0,1] and their labels as int64, little-endian, with their shape. */
    private static void writeInputs(ImageDataset test, Path out) throws IOException {
        int n = test.size();
        int d = test.shape().channels() * test.shape().height() * test.shape().width();
        float[] pixels = new float[d];
        ByteBuffer images = ByteBuffer.allocate(n * d * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer labels = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            test.copyPixels(i, pixels, 0);
            for (float v : pixels) {
                images.putFloat(v);
            }
            labels.putLong(test.label(i));
        }
        Files.write(out.resolve("x.f32"), images.array());
        Files.write(out.resolve("y.i64"), labels.array());
        Files.writeString(out.resolve("shape.json"), String.format(Locale.ROOT, "{\"n\": %d, \"c\": %d, \"h\": %d, \"w\": %d}", n,
                test.shape().channels(), test.shape().height(), test.shape().width()));
    }
}
