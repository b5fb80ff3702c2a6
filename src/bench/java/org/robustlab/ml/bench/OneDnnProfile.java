package org.robustlab.ml.bench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a benchmark row's CPU time goes inside oneDNN, ours beside PyTorch eager's: runs one row of
 * {@link Benchmark} (one round, both sides) in a child JVM with {@code ONEDNN_VERBOSE=1}, reads the execution
 * lines oneDNN prints for every primitive it runs (convolutions, pooling, batch norm, reorders, inner products,
 * each with the implementation it chose, such as {@code brgconv:avx512_core} or {@code gemm:jit}), and prints,
 * per side, the time per step of each primitive, implementation and shape, and what the step spends outside
 * oneDNN (BLAS, element-wise ops, the optimiser, the host). This is what tells two CPUs apart: the same row
 * picking another kernel on another vendor's CPU shows up as another implementation name or a longer time.
 * Verbose output slows both sides, so read the split, not the absolute step times.
 *
 * <p>Run: {@code scripts/run-main org.robustlab.ml.bench.OneDnnProfile --row small-cnn/standard [--top N] [--out FILE.md]}
 */
public final class OneDnnProfile {

    /** How {@link Benchmark.TorchEager} tags the lines of the Python side that are not its answers. */
    static final String PYTORCH_TAG = "[pytorch] ";

    private static final Pattern OUR_STEP = Pattern.compile("^(\\S+)\\s+([0-9.]+) ms/step \\(median of (\\d+)\\)");
    private static final Pattern THEIR_STEP = Pattern.compile("^(\\S+)\\s+([0-9.]+) ms/step \\(PyTorch eager");

    /** One primitive execution line, reduced to what identifies the work and its time. */
    record Exec(String kind, String impl, String prop, String shape, double ms) {}

    /** The executions of one side, summed per kind, implementation and shape. */
    static final class Side {
        final Map<String, double[]> byKey = new LinkedHashMap<>();
        final Map<String, Exec> first = new LinkedHashMap<>();
        double totalMs;
        long calls;

        void add(Exec e) {
            String key = e.kind() + " | " + e.impl() + " | " + e.prop() + " | " + e.shape();
            byKey.computeIfAbsent(key, k -> new double[2]);
            byKey.get(key)[0] += 1;
            byKey.get(key)[1] += e.ms();
            first.putIfAbsent(key, e);
            totalMs += e.ms();
            calls++;
        }
    }

    private OneDnnProfile() {}

    public static void main(String[] args) throws Exception {
        String row = null;
        int top = 15;
        Path out = null;
        for (int i = 0; i + 1 < args.length; i++) {
            switch (args[i]) {
                case "--row" -> row = args[i + 1];
                case "--top" -> top = Integer.parseInt(args[i + 1]);
                case "--out" -> out = Path.of(args[i + 1]);
                default -> { }
            }
        }
        if (row == null) {
            throw new IllegalArgumentException("--row KEY is needed, for example --row small-cnn/standard");
        }
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx6g", "-cp", System.getProperty("java.class.path"), Benchmark.class.getName(), "--row", row, "--rounds", "1");
        pb.environment().put("ONEDNN_VERBOSE", "1");
        pb.environment().put("DNNL_VERBOSE", "1");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        Side ours = new Side();
        Side theirs = new Side();
        List<String> header = new ArrayList<>();
        double ourStep = Double.NaN;
        double theirStep = Double.NaN;
        int timedSteps = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                boolean torch = line.startsWith(PYTORCH_TAG);
                String text = torch ? line.substring(PYTORCH_TAG.length()) : line;
                Exec e = parse(text);
                if (e != null) {
                    (torch ? theirs : ours).add(e);
                    continue;
                }
                if (text.startsWith("# ")) {
                    header.add(text);
                }
                Matcher m = OUR_STEP.matcher(text);
                if (m.find() && m.group(1).equals(row)) {
                    ourStep = Double.parseDouble(m.group(2));
                    timedSteps = Integer.parseInt(m.group(3));
                }
                Matcher t = THEIR_STEP.matcher(text);
                if (t.find() && t.group(1).equals(row)) {
                    theirStep = Double.parseDouble(t.group(2));
                }
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the benchmark child failed (exit " + p.exitValue() + ")");
        }
        String wanted = row;
        int steps = Benchmark.rows(false, false, 1).stream().filter(x -> x.key().equals(wanted)).findFirst()
                .map(x -> x.warmup() + x.steps()).orElse(timedSteps);
        StringBuilder sb = new StringBuilder();
        sb.append("# oneDNN profile of ").append(row).append("\n\n");
        header.forEach(h -> sb.append(h.substring(2)).append("  \n"));
        sb.append("\nCommand: `scripts/run-main org.robustlab.ml.bench.OneDnnProfile --row ").append(row)
                .append("` (ONEDNN_VERBOSE=1; ").append(steps).append(" steps per side, warm-up included; times per step)\n\n");
        table(sb, "RobustLab (DJL's libtorch)", ours, ourStep, steps, top);
        table(sb, "PyTorch eager (bench/torch_bench.py)", theirs, theirStep, steps, top);
        String text = sb.toString();
        System.out.print(text);
        if (out != null) {
            Files.writeString(out, text);
        }
    }

    /**
     * An execution line of oneDNN 2.x ({@code onednn_verbose,exec,cpu,...}) or 3.x
     * ({@code onednn_verbose,v1,primitive,exec,cpu,...}): kind, implementation, propagation, memory descriptors,
     * attributes, algorithm, shape, milliseconds. Null for any other line.
     */
    static Exec parse(String line) {
        if (!line.startsWith("onednn_verbose,") && !line.startsWith("dnnl_verbose,")) {
            return null;
        }
        String[] f = line.split(",", -1);
        int exec = -1;
        for (int i = 1; i < Math.min(f.length, 6); i++) {
            if (f[i].equals("exec")) {
                exec = i;
                break;
            }
        }
        if (exec < 0 || f.length < exec + 9 || !f[exec + 1].equals("cpu")) {
            return null;
        }
        try {
            double ms = Double.parseDouble(f[f.length - 1]);
            return new Exec(f[exec + 2], f[exec + 3], f[exec + 4], f[f.length - 2], ms);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static void table(StringBuilder sb, String title, Side side, double stepMs, int steps, int top) {
        double onednn = side.totalMs / steps;
        sb.append("## ").append(title).append("\n\n");
        if (side.calls == 0) {
            sb.append("No oneDNN executions were reported (no verbose output, or this side does not use oneDNN).\n\n");
            return;
        }
        sb.append(String.format(Locale.ROOT, "Step (timed, with verbose output on): %.1f ms; in oneDNN: %.1f ms per step (%d primitives"
                + " per step); outside oneDNN: %.1f ms.%n%n", stepMs, onednn, side.calls / steps, stepMs - onednn));
        sb.append("| primitive | implementation | propagation | shape | calls/step | ms/step |\n|---|---|---|---|---|---|\n");
        side.byKey.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue()[1], a.getValue()[1])).limit(top).forEach(en -> {
            Exec e = side.first.get(en.getKey());
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %.1f | %.2f |%n", e.kind(), e.impl(), e.prop(),
                    e.shape().length() > 70 ? e.shape().substring(0, 70) + "..." : e.shape(), en.getValue()[0] / steps, en.getValue()[1] / steps));
        });
        sb.append('\n');
    }
}
