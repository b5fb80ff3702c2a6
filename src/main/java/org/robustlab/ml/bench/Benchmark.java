package org.robustlab.ml.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.attack.GradientAttack;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.training.Sgd;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingStep;

/**
 * The engine benchmark: per-step time of each training method (SmallCNN at batch 128 on 1x28x28,
 * ResNet-18 at batch 32 on 3x32x32), PGD-20 evaluation throughput, and resident memory over 1,000
 * ARR steps; beside each row the same step in PyTorch eager ({@code bench/torch_bench.py}, Debian's
 * python3-torch, 2 threads), run by this same command right after ours, row by row. With
 * {@code --rounds N} each row alternates ours and theirs N times, and each side's figure is the median
 * of all its timed steps; one round is noisy on a shared virtual machine.
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.Benchmark [--quick] [--no-torch] [--rounds N] [--only PREFIX] [--memory-steps N]}
 */
public final class Benchmark {

    private static final float EPS = 0.1f;

    record Row(String key, Architecture arch, DatasetId shapeOf, int batch, String method, int warmup, int steps) {}

    public static void main(String[] args) throws Exception {
        boolean quick = List.of(args).contains("--quick");
        boolean torch = !List.of(args).contains("--no-torch");
        int memorySteps = 1000;
        String only = null;
        int scale = 1;
        int rounds = 1;
        for (int i = 0; i < args.length - 1; i++) {
            switch (args[i]) {
                case "--memory-steps" -> memorySteps = Integer.parseInt(args[i + 1]);
                case "--only" -> only = args[i + 1];
                case "--scale" -> scale = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                default -> { }
            }
        }
        List<Row> rows = new ArrayList<>();
        String[] methods = {"standard", "arr-fgsm", "arr-pgd3", "pgd-at-10", "trades-10", "eval-pgd20"};
        for (String m : methods) {
            boolean heavy = m.contains("10") || m.contains("20");
            rows.add(new Row("small-cnn/" + m, Architecture.SMALL_CNN, DatasetId.FASHION_MNIST, 128, m,
                    quick ? 2 : 5, (quick ? 5 : heavy ? 10 : 30) * scale));
        }
        for (String m : methods) {
            boolean heavy = m.contains("10") || m.contains("20");
            rows.add(new Row("resnet18/" + m, Architecture.RESNET18, DatasetId.CIFAR10, 32, m,
                    quick ? 1 : 2, (quick ? 2 : heavy ? 4 : 10) * scale));
        }
        if (only != null) {
            String prefix = only;
            rows.removeIf(r -> !r.key().startsWith(prefix) && !r.key().endsWith("/standard"));
        }
        System.out.printf(Locale.ROOT, "# RobustLab engine benchmark%n# %s, %d cores, Java %s, DJL %s, PyTorch engine %s%n",
                cpuName(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                Engine.getDjlVersion(), Engine.getEngine("PyTorch").getVersion());
        Map<String, Double> ours = new LinkedHashMap<>();
        Map<String, Double> theirs = new LinkedHashMap<>();
        try (TorchEager eager = torch ? TorchEager.start() : null) {
            for (Row row : rows) {
                // Rounds alternate ours and theirs, so that both sides see the same spells of machine noise;
                // each side's figure is the median of all its timed steps over the rounds.
                List<Double> ourTimes = new ArrayList<>();
                List<Double> theirTimes = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    for (double t : measure(row)) {
                        ourTimes.add(t);
                    }
                    List<Double> t = eager == null ? null : eager.measure(row);
                    if (t != null) {
                        theirTimes.addAll(t);
                    }
                }
                ours.put(row.key(), median(ourTimes));
                if (!theirTimes.isEmpty()) {
                    theirs.put(row.key(), median(theirTimes));
                }
                if (rounds > 1) {
                    System.out.printf(Locale.ROOT, "%-22s %8.1f ms/step ours, %s theirs (medians of all %d rounds)%n", row.key(),
                            ours.get(row.key()), theirs.containsKey(row.key())
                                    ? String.format(Locale.ROOT, "%.1f ms/step", theirs.get(row.key())) : "-", rounds);
                }
            }
        }
        System.out.println();
        System.out.println("| row | batch | RobustLab ms/step | x standard | PyTorch eager ms/step | RobustLab / PyTorch |");
        System.out.println("|---|---|---|---|---|---|");
        for (Row row : rows) {
            String arch = row.key().substring(0, row.key().indexOf('/'));
            double ms = ours.get(row.key());
            double std = ours.get(arch + "/standard");
            Double t = theirs.get(row.key());
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.2f | %s | %s |%n", row.key(), row.batch(), ms, ms / std,
                    t == null ? "-" : String.format(Locale.ROOT, "%.1f", t),
                    t == null ? "-" : String.format(Locale.ROOT, "%.2f", ms / t));
        }
        System.out.println();
        for (String arch : List.of("small-cnn", "resnet18")) {
            if (!ours.containsKey(arch + "/arr-fgsm") || !ours.containsKey(arch + "/pgd-at-10") || !ours.containsKey(arch + "/eval-pgd20")) {
                continue;
            }
            double std = ours.get(arch + "/standard");
            double fgsm = ours.get(arch + "/arr-fgsm");
            double pgdAt = ours.get(arch + "/pgd-at-10");
            System.out.printf(Locale.ROOT, "%s: ARR-FGSM = %.2fx standard (target <= 3.2); PGD-AT-10 = %.2fx ARR-FGSM (target >= 3.4)%n",
                    arch, fgsm / std, pgdAt / fgsm);
            Row eval = rows.stream().filter(r -> r.key().equals(arch + "/eval-pgd20")).findFirst().orElseThrow();
            System.out.printf(Locale.ROOT, "%s: PGD-20 evaluation %.1f images/s (PyTorch eager %s)%n", arch,
                    eval.batch() * 1000 / ours.get(eval.key()),
                    theirs.containsKey(eval.key()) ? String.format(Locale.ROOT, "%.1f images/s", eval.batch() * 1000 / theirs.get(eval.key())) : "-");
        }
        if (only == null) {
            loading(ours.get("small-cnn/standard"), ours.get("resnet18/standard"));
            memory(memorySteps);
        }
    }

    /** Time to build a batch (host side and NDArray creation) against the time a standard step takes to use it. */
    static void loading(double smallCnnStepMs, double resnetStepMs) {
        java.util.Random random = new java.util.Random(1);
        byte[] fm = new byte[20000 * 784];
        byte[] cifar = new byte[20000 * 3072];
        random.nextBytes(fm);
        random.nextBytes(cifar);
        int[] labels = random.ints(20000, 0, 10).toArray();
        List<String> names = DatasetId.CIFAR10.classNames();
        ImageDataset fashion = new ImageDataset("fashion-shaped", DatasetId.FASHION_MNIST.shape(), 10, fm, labels, names);
        ImageDataset cifarLike = new ImageDataset("cifar-shaped", DatasetId.CIFAR10.shape(), 10, cifar, labels, names);
        System.out.println();
        System.out.println("| batches | ms/batch | standard step ms | step / batch |");
        System.out.println("|---|---|---|---|");
        for (Object[] c : new Object[][] {{fashion, 128, false, smallCnnStepMs, "1x28x28, batch 128"},
                {cifarLike, 32, true, resnetStepMs, "3x32x32, batch 32, crop+flip"}}) {
            BatchLoader loader = new BatchLoader((ImageDataset) c[0], (int) c[1], true, (boolean) c[2], 1);
            int n = 300;
            long start = 0;
            try (NDManager manager = NDManager.newBaseManager()) {
                for (int i = 0; i < n + 20; i++) {
                    if (i == 20) {
                        start = System.nanoTime();
                    }
                    try (NDManager s = manager.newSubManager()) {
                        loader.batch(s, i / loader.batchesPerEpoch(), i % loader.batchesPerEpoch());
                    }
                }
            }
            double ms = (System.nanoTime() - start) / 1e6 / n;
            System.out.printf(Locale.ROOT, "| %s | %.3f | %.1f | %.0fx (target >= 10x) |%n", c[4], ms, (double) c[3], (double) c[3] / ms);
        }
    }

    /** Milliseconds of each timed step of one row (its median is printed). */
    static double[] measure(Row row) {
        ModelSpec spec = ModelSpec.of(row.arch(), row.shapeOf());
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(spec, manager)) {
            Block block = model.getBlock();
            Sgd sgd = sgd(block, model);
            TrainingStep step = row.method().startsWith("eval") ? null : new TrainingStep(method(row.method()));
            GradientAttack pgd20 = new GradientAttack(AttackSpec.pgd20(EPS));
            Shape shape = Models.inputShape(spec, row.batch());
            double[] times = new double[row.steps()];
            for (int i = 0; i < row.warmup() + row.steps(); i++) {
                long start = System.nanoTime();
                try (NDManager s = manager.newSubManager()) {
                    NDArray x = s.randomUniform(0f, 1f, shape);
                    NDArray y = s.randomInteger(0, spec.numClasses(), new Shape(row.batch()), DataType.INT32);
                    if (step == null) {
                        NDArray adv = pgd20.perturb(block, x, y);
                        Forward.predictions(block, adv);
                    } else {
                        step.run(block, x, y, row.method().startsWith("trades") ? 6f : 1f, s);
                        sgd.step(0.01f);
                    }
                }
                if (i >= row.warmup()) {
                    times[i - row.warmup()] = (System.nanoTime() - start) / 1e6;
                }
            }
            double[] sorted = times.clone();
            java.util.Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "%-22s %8.1f ms/step (median of %d)%n", row.key(), sorted[sorted.length / 2], times.length);
            return times;
        }
    }

    static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    static TrainingMethod method(String name) {
        return switch (name) {
            case "standard" -> TrainingMethod.standard();
            case "arr-fgsm" -> TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(EPS));
            case "arr-pgd3" -> TrainingMethod.arr(1f, Divergence.KL, AttackSpec.pgd(EPS, 3, EPS / 2));
            case "pgd-at-10" -> TrainingMethod.pgdAt(EPS, 10, EPS / 4);
            case "trades-10" -> TrainingMethod.trades(6f, EPS, 10, EPS / 4);
            default -> throw new IllegalArgumentException(name);
        };
    }

    private static Sgd sgd(Block block, Model model) {
        List<NDArray> params = new ArrayList<>();
        for (Parameter p : block.getParameters().values()) {
            if (Models.isTrainable(p)) {
                params.add(p.getArray());
            }
        }
        return new Sgd(params, 0.9f, false, 5e-4f, model.getNDManager());
    }

    /** Resident memory before and after {@code steps} ARR-FGSM steps on SmallCNN, batch 128. */
    static void memory(int steps) {
        ModelSpec spec = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(spec, manager)) {
            Block block = model.getBlock();
            Sgd sgd = sgd(block, model);
            TrainingStep step = new TrainingStep(method("arr-fgsm"));
            Shape shape = Models.inputShape(spec, 128);
            long before = 0;
            System.out.println();
            System.out.println("| ARR-FGSM steps done | resident memory (MB) |");
            System.out.println("|---|---|");
            for (int i = 0; i <= steps; i++) {
                if (i == 10) {
                    before = rssKb();
                }
                if (i % 100 == 0 || i == 10) {
                    System.out.printf(Locale.ROOT, "| %d | %.1f |%n", i, rssKb() / 1024.0);
                }
                if (i == steps) {
                    break;
                }
                try (NDManager s = manager.newSubManager()) {
                    NDArray x = s.randomUniform(0f, 1f, shape);
                    NDArray y = s.randomInteger(0, 10, new Shape(128), DataType.INT32);
                    step.run(block, x, y, 1f, s);
                    sgd.step(0.01f);
                }
            }
            long after = rssKb();
            System.out.printf(Locale.ROOT, "resident memory: %.1f MB after 10 warm-up steps, %.1f MB after %d steps: %+.1f MB (target < 50 MB)%n",
                    before / 1024.0, after / 1024.0, steps, (after - before) / 1024.0);
        }
    }

    static long rssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            // not on Linux
        }
        return -1;
    }

    private static String cpuName() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not on Linux
        }
        return System.getProperty("os.arch");
    }

    /**
     * The PyTorch eager side: one Python process kept open, asked for each row right after ours ran,
     * so that both sides see the same machine state. Missing Python gives no figures, not a failure.
     */
    static final class TorchEager implements AutoCloseable {
        private final Process process;
        private final BufferedReader out;
        private final java.io.Writer in;

        private TorchEager(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        static TorchEager start() throws IOException {
            Path script = Path.of("bench", "torch_bench.py");
            if (!Files.exists(Path.of("/usr/bin/python3")) || !Files.exists(script)) {
                System.out.println("PyTorch eager: /usr/bin/python3 or bench/torch_bench.py missing; no comparison");
                return null;
            }
            return new TorchEager(new ProcessBuilder("/usr/bin/python3", script.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        /** The timed steps of PyTorch eager for this row, in milliseconds; null when Python stopped. */
        List<Double> measure(Row r) throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", r.key());
            m.put("arch", r.arch().id());
            m.put("channels", r.shapeOf().shape().channels());
            m.put("size", r.shapeOf().shape().height());
            m.put("classes", r.shapeOf().numClasses());
            m.put("batch", r.batch());
            m.put("method", r.method());
            m.put("steps", r.steps());
            m.put("warmup", r.warmup());
            m.put("epsilon", EPS);
            in.write(new Gson().toJson(m) + "\n");
            in.flush();
            String line = out.readLine();
            if (line == null) {
                return null;
            }
            JsonObject o = new Gson().fromJson(line, JsonObject.class);
            double ms = o.get("ms_per_step").getAsDouble();
            System.out.printf(Locale.ROOT, "%-22s %8.1f ms/step (PyTorch eager %s, %d threads)%n", r.key(), ms,
                    o.get("torch").getAsString(), o.get("threads").getAsInt());
            List<Double> times = new ArrayList<>();
            o.getAsJsonArray("times_ms").forEach(e -> times.add(e.getAsDouble()));
            return times;
        }

        @Override
        public void close() throws IOException {
            in.close();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
