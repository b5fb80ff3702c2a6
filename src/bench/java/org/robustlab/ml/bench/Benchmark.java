package org.robustlab.ml.bench;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;
import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.attack.GradientAttack;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.engine.EngineInfo;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.Forward;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.training.Sgd;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingStep;

/**
 * The engine benchmark: per-step time of each training method, PGD-20 evaluation throughput, and
 * resident memory over 1,000 ARR steps; beside each row the same step in PyTorch eager
 * ({@code bench/torch_bench.py}), run by this same command right after ours, row by row. With
 * {@code --rounds N} each row alternates ours and theirs N times, and each side's figure is the median
 * of all its timed steps; one round is noisy on a shared virtual machine.
 *
 * <p>On the CPU (the default) the rows are SmallCNN at batch 128 on 1x28x28 and ResNet-18 at batch 32
 * on 3x32x32, PyTorch eager on 2 threads. With {@code --device gpu} both models run at batch 128 on
 * GPU 0, every step is timed between device synchronisations (our step ends with its one read of the
 * device, queued after the optimiser's update; PyTorch's is bracketed by {@code torch.cuda.synchronize()}),
 * at least 20 timed steps follow the warm-up, and each row is also run with cuDNN's benchmark mode on
 * (ours) and in PyTorch's tuned form (cuDNN benchmark mode and channels-last). The peak GPU memory
 * of each side is reported: PyTorch's caching-allocator peak, and for ours the device memory in use at
 * the end of the row over that at its start, with the caching allocator emptied in between (what our
 * process reserved; DJL exposes no allocator statistics).
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.Benchmark [--device cpu|gpu] [--quick] [--no-torch]
 * [--rounds N] [--only PREFIX] [--row KEY] [--memory-steps N] [--out FILE.jsonl]}
 */
public final class Benchmark {

    private static final float EPS = 0.1f;

    record Row(String key, Architecture arch, DatasetId shapeOf, int batch, String method, int warmup, int steps) {}

    /** One side's figures for one row. */
    record Timing(List<Double> times, double peakMib) {}

    public static void main(String[] args) throws Exception {
        if (List.of(args).contains("--probe-onednn")) {
            probeOneDnn();
            return;
        }
        boolean quick = List.of(args).contains("--quick");
        boolean torch = !List.of(args).contains("--no-torch");
        int memorySteps = 1000;
        String only = null;
        String rowKey = null;
        int scale = 1;
        int rounds = 1;
        String deviceName = "cpu";
        Path out = null;
        for (int i = 0; i < args.length - 1; i++) {
            switch (args[i]) {
                case "--memory-steps" -> memorySteps = Integer.parseInt(args[i + 1]);
                case "--only" -> only = args[i + 1];
                case "--row" -> rowKey = args[i + 1];
                case "--scale" -> scale = Integer.parseInt(args[i + 1]);
                case "--rounds" -> rounds = Integer.parseInt(args[i + 1]);
                case "--device" -> deviceName = args[i + 1];
                case "--out" -> out = Path.of(args[i + 1]);
                default -> { }
            }
        }
        boolean gpu = deviceName.startsWith("gpu");
        Device device = gpu ? Device.gpu(0) : Device.cpu();
        List<Row> rows = rows(gpu, quick, scale);
        if (only != null) {
            String prefix = only;
            rows.removeIf(r -> !r.key().startsWith(prefix) && !r.key().endsWith("/standard"));
        }
        if (rowKey != null) {
            String exact = rowKey;
            rows.removeIf(r -> !r.key().equals(exact));
            if (rows.isEmpty()) {
                throw new IllegalArgumentException("--row " + exact + ": no such row; rows are "
                        + rows(gpu, quick, scale).stream().map(Row::key).toList());
            }
            only = exact;
        }
        for (String line : header(device)) {
            System.out.println(line);
        }
        if (gpu && Engine.getEngine("PyTorch").getGpuCount() == 0) {
            throw new IllegalStateException("--device gpu, but the PyTorch engine sees no GPU (libtorch "
                    + EngineInfo.read().flavor() + " from " + EngineInfo.read().folder() + ")");
        }
        Map<String, Double> ours = new LinkedHashMap<>();
        Map<String, Double> oursTuned = new LinkedHashMap<>();
        Map<String, Double> theirs = new LinkedHashMap<>();
        Map<String, Double> theirsTuned = new LinkedHashMap<>();
        Map<String, Double> oursMib = new LinkedHashMap<>();
        Map<String, Double> theirsMib = new LinkedHashMap<>();
        try (TorchEager eager = torch ? TorchEager.start(gpu) : null;
                PrintWriter jsonl = out == null ? null : new PrintWriter(Files.newBufferedWriter(out), true)) {
            if (eager != null) {
                System.out.println("# PyTorch eager: " + eager.info());
            }
            for (Row row : rows) {
                // Rounds alternate ours and theirs, so that both sides see the same spells of machine noise;
                // each side's figure is the median of all its timed steps over the rounds.
                List<Double> ourTimes = new ArrayList<>();
                List<Double> ourTunedTimes = new ArrayList<>();
                List<Double> theirTimes = new ArrayList<>();
                List<Double> theirTunedTimes = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    Timing t = measure(row, device, false);
                    ourTimes.addAll(t.times());
                    oursMib.merge(row.key(), t.peakMib(), Math::max);
                    record(jsonl, row, "robustlab", t);
                    if (gpu) {
                        Timing tuned = measure(row, device, true);
                        ourTunedTimes.addAll(tuned.times());
                        record(jsonl, row, "robustlab+cudnn-benchmark", tuned);
                    }
                    Timing e = eager == null ? null : eager.measure(row, gpu, false);
                    if (e != null) {
                        theirTimes.addAll(e.times());
                        theirsMib.merge(row.key(), e.peakMib(), Math::max);
                        record(jsonl, row, "pytorch-eager", e);
                    }
                    Timing et = eager == null || !gpu ? null : eager.measure(row, true, true);
                    if (et != null) {
                        theirTunedTimes.addAll(et.times());
                        record(jsonl, row, "pytorch-tuned", et);
                    }
                }
                ours.put(row.key(), median(ourTimes));
                putMedian(oursTuned, row.key(), ourTunedTimes);
                putMedian(theirs, row.key(), theirTimes);
                putMedian(theirsTuned, row.key(), theirTunedTimes);
                if (rounds > 1) {
                    System.out.printf(Locale.ROOT, "%-22s %8.2f ms/step ours, %s theirs (medians of all %d rounds)%n", row.key(),
                            ours.get(row.key()), theirs.containsKey(row.key())
                                    ? String.format(Locale.ROOT, "%.2f ms/step", theirs.get(row.key())) : "-", rounds);
                }
            }
        }
        System.out.println();
        if (gpu) {
            gpuTable(rows, ours, oursTuned, theirs, theirsTuned, oursMib, theirsMib);
        } else {
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
        if (only == null && !gpu) {
            loading(ours.get("small-cnn/standard"), ours.get("resnet18/standard"));
            memory(memorySteps, device);
        }
    }

    static List<Row> rows(boolean gpu, boolean quick, int scale) {
        List<Row> rows = new ArrayList<>();
        String[] methods = {"standard", "arr-fgsm", "arr-pgd3", "pgd-at-10", "trades-10", "eval-pgd20"};
        for (String m : methods) {
            boolean heavy = m.contains("10") || m.contains("20");
            int steps = gpu ? (quick ? 3 : 20) : (quick ? 5 : heavy ? 10 : 30);
            rows.add(new Row("small-cnn/" + m, Architecture.SMALL_CNN, DatasetId.FASHION_MNIST, 128, m,
                    quick ? 2 : 5, steps * scale));
        }
        for (String m : methods) {
            boolean heavy = m.contains("10") || m.contains("20");
            int steps = gpu ? (quick ? 2 : 20) : (quick ? 2 : heavy ? 4 : 10);
            rows.add(new Row("resnet18/" + m, Architecture.RESNET18, DatasetId.CIFAR10, gpu ? 128 : 32, m,
                    quick ? 1 : gpu ? 5 : 2, steps * scale));
        }
        return rows;
    }

    private static void putMedian(Map<String, Double> into, String key, List<Double> times) {
        if (!times.isEmpty()) {
            into.put(key, median(times));
        }
    }

    private static void record(PrintWriter jsonl, Row row, String side, Timing t) {
        if (jsonl == null) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("row", row.key());
        m.put("batch", row.batch());
        m.put("side", side);
        m.put("ms_per_step", median(t.times()));
        m.put("peak_mib", t.peakMib());
        m.put("times_ms", t.times());
        jsonl.println(new Gson().toJson(m));
    }

    private static void gpuTable(List<Row> rows, Map<String, Double> ours, Map<String, Double> oursTuned, Map<String, Double> theirs,
            Map<String, Double> theirsTuned, Map<String, Double> oursMib, Map<String, Double> theirsMib) {
        System.out.println("| row | batch | RobustLab ms/step | PyTorch eager ms/step | RobustLab / eager | RobustLab + cuDNN benchmark"
                + " | PyTorch tuned (cuDNN benchmark + channels-last) | best RobustLab / tuned | RobustLab peak MiB | PyTorch peak MiB |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        for (Row row : rows) {
            String k = row.key();
            double ms = ours.get(k);
            Double t = theirs.get(k);
            Double mt = oursTuned.get(k);
            Double tt = theirsTuned.get(k);
            double best = mt == null ? ms : Math.min(ms, mt);
            System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %s | %s | %s | %s | %s | %.0f | %s |%n", k, row.batch(), ms,
                    fmt(t, "%.2f"), t == null ? "-" : String.format(Locale.ROOT, "%.2f", ms / t), fmt(mt, "%.2f"), fmt(tt, "%.2f"),
                    tt == null ? "-" : String.format(Locale.ROOT, "%.2f", best / tt), oursMib.getOrDefault(k, 0.0),
                    fmt(theirsMib.get(k), "%.0f"));
        }
    }

    private static String fmt(Double v, String format) {
        return v == null ? "-" : String.format(Locale.ROOT, format, v);
    }

    /**
     * The machine: CPU model and ISA flags, the oneDNN ISA libtorch picks here (from a child JVM run with
     * ONEDNN_VERBOSE, since oneDNN reads it at start), the engine's libtorch and, on a GPU, the card.
     */
    static List<String> header(Device device) {
        List<String> lines = new ArrayList<>();
        lines.add("# RobustLab engine benchmark");
        EngineInfo engine = EngineInfo.read();
        lines.add(String.format(Locale.ROOT, "# %s, %d cores, Java %s, DJL %s, libtorch %s (%s) from %s", cpuName(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), engine.djlVersion(),
                engine.libtorchVersion(), engine.flavor(), engine.folder()));
        lines.add("# CPU ISA flags: " + String.join(" ", isaFlags()));
        lines.add("# oneDNN ISA: " + oneDnnIsa());
        if (device.isGpu()) {
            lines.add(String.format(Locale.ROOT, "# GPU: %s; CUDA runtime %s; compute capability %s", gpuDescription(),
                    engine.cudaVersion(), CudaUtils.getComputeCapability(0)));
        }
        return lines;
    }

    /** The vector-ISA flags of /proc/cpuinfo (SSE4.2, AVX, AVX2, FMA, AVX-512 and AMX families). */
    static List<String> isaFlags() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags")) {
                    List<String> out = new ArrayList<>();
                    for (String f : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                        if (f.startsWith("avx") || f.startsWith("amx") || f.equals("fma") || f.equals("sse4_2") || f.equals("f16c")) {
                            out.add(f);
                        }
                    }
                    return out;
                }
            }
        } catch (IOException e) {
            // not on Linux
        }
        return List.of("unknown");
    }

    /** oneDNN's own "isa:" line, from a child JVM with ONEDNN_VERBOSE=1 that runs one convolution. */
    static String oneDnnIsa() {
        try {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), "-Dai.djl.offline=true", Benchmark.class.getName(), "--probe-onednn");
            pb.environment().put("ONEDNN_VERBOSE", "1");
            pb.environment().put("DNNL_VERBOSE", "1");
            pb.redirectErrorStream(true);
            Process p = pb.start();
            String isa = null;
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    int at = line.indexOf("isa:");
                    if (isa == null && at >= 0) {
                        isa = line.substring(at + 4).trim();
                    }
                }
            }
            p.waitFor();
            return isa == null ? "not reported (oneDNN printed no isa line)" : isa;
        } catch (IOException | InterruptedException e) {
            return "not probed: " + e.getMessage();
        }
    }

    /** The child side of {@link #oneDnnIsa()}: one small convolution on the CPU. */
    static void probeOneDnn() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
                Model model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), m)) {
            Forward.logits(model.getBlock(), m.randomUniform(0f, 1f, new Shape(2, 1, 28, 28)), false).toFloatArray();
        }
    }

    /** The GPU's name, driver and memory from nvidia-smi, when it is there. */
    static String gpuDescription() {
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader")
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return p.exitValue() == 0 && !text.isEmpty() ? text.lines().findFirst().orElse(text) : "nvidia-smi failed: " + text;
        } catch (IOException | InterruptedException e) {
            return "(no nvidia-smi)";
        }
    }

    /** Time to build a batch (host side and NDArray creation) against the time a standard step takes to use it. */
    static void loading(double smallCnnStepMs, double resnetStepMs) {
        Random random = new Random(1);
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
            try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
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

    /**
     * Milliseconds of each timed step of one row, and on a GPU the device memory the row took. Each
     * step ends with a read of the device (the training step's figures, queued after the update; the
     * evaluation's predictions), so that the clock stops when the device is done.
     */
    static Timing measure(Row row, Device device, boolean cudnnBenchmark) {
        ModelSpec spec = ModelSpec.of(row.arch(), row.shapeOf());
        if (device.isGpu()) {
            JniUtils.setBenchmarkCuDNN(cudnnBenchmark);
            JniUtils.emptyCudaCache();
        }
        long usedBefore = device.isGpu() ? CudaUtils.getGpuMemory(device).getUsed() : 0;
        try (NDManager manager = NDManager.newBaseManager(device);
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
                        NDArray figures = step.forwardBackward(block, x, y, row.method().startsWith("trades") ? 6f : 1f, s);
                        sgd.step(0.01f);
                        TrainingStep.read(figures);
                    }
                }
                if (i >= row.warmup()) {
                    times[i - row.warmup()] = (System.nanoTime() - start) / 1e6;
                }
            }
            double peakMib = device.isGpu() ? (CudaUtils.getGpuMemory(device).getUsed() - usedBefore) / (double) (1 << 20) : 0;
            List<Double> list = new ArrayList<>();
            for (double t : times) {
                list.add(t);
            }
            System.out.printf(Locale.ROOT, "%-22s %8.2f ms/step (median of %d)%s%n", row.key(), median(list), times.length,
                    device.isGpu() ? String.format(Locale.ROOT, ", cuDNN benchmark %s, %.0f MiB", cudnnBenchmark ? "on" : "off", peakMib) : "");
            return new Timing(list, peakMib);
        } finally {
            if (device.isGpu()) {
                JniUtils.setBenchmarkCuDNN(false);
                JniUtils.emptyCudaCache();
            }
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
        List<NDArray> params = Models.trainableArrays(block);
        return new Sgd(params, 0.9f, false, 5e-4f, model.getNDManager());
    }

    /** Resident memory before and after {@code steps} ARR-FGSM steps on SmallCNN, batch 128. */
    static void memory(int steps, Device device) {
        ModelSpec spec = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);
        try (NDManager manager = NDManager.newBaseManager(device);
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
        private final Writer in;

        private TorchEager(Process process) {
            this.process = process;
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        }

        static TorchEager start(boolean gpu) throws IOException {
            Path script = Path.of("bench", "torch_bench.py");
            String python = System.getenv().getOrDefault("ROBUSTLAB_PYTHON", gpu ? "python3" : "/usr/bin/python3");
            if (!gpu && !Files.exists(Path.of(python)) || !Files.exists(script)) {
                System.out.println("PyTorch eager: " + python + " or bench/torch_bench.py missing; no comparison");
                return null;
            }
            return new TorchEager(new ProcessBuilder(python, script.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start());
        }

        /** The versions, the device and the CPU capability of the Python side. */
        String info() throws IOException {
            in.write("{\"info\": true}\n");
            in.flush();
            String line = answer();
            return line == null ? "(python stopped)" : line;
        }

        /**
         * The next JSON line of the Python side; any other line (oneDNN's verbose output when ONEDNN_VERBOSE is set,
         * which {@link OneDnnProfile} reads) is passed on to stdout tagged {@code [pytorch]}.
         */
        private String answer() throws IOException {
            String line;
            while ((line = out.readLine()) != null && !line.startsWith("{")) {
                System.out.println(OneDnnProfile.PYTORCH_TAG + line);
            }
            return line;
        }

        /** The timed steps of PyTorch for this row, in milliseconds; null when Python stopped. */
        Timing measure(Row r, boolean gpu, boolean tuned) throws IOException {
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
            m.put("device", gpu ? "cuda" : "cpu");
            m.put("cudnn_benchmark", tuned);
            m.put("channels_last", tuned);
            in.write(new Gson().toJson(m) + "\n");
            in.flush();
            String line = answer();
            if (line == null) {
                return null;
            }
            JsonObject o = new Gson().fromJson(line, JsonObject.class);
            double ms = o.get("ms_per_step").getAsDouble();
            System.out.printf(Locale.ROOT, "%-22s %8.2f ms/step (PyTorch %s %s, %d threads)%n", r.key(), ms,
                    tuned ? "tuned" : "eager", o.get("torch").getAsString(), o.get("threads").getAsInt());
            List<Double> times = new ArrayList<>();
            o.getAsJsonArray("times_ms").forEach(e -> times.add(e.getAsDouble()));
            return new Timing(times, o.has("peak_mib") ? o.get("peak_mib").getAsDouble() : 0);
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
