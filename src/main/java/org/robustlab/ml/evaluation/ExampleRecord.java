package org.robustlab.ml.evaluation;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What an evaluation found on each test point: whether it was classified correctly clean, and at each epsilon which
 * attack broke it first (in the order the attacks ran) or none, and the margin left, z_y - max_{k != y} z_k, at the
 * worst point any attack found (negative when broken). Written beside the report as CSV, one row per point:
 * {@code index,label,clean,clean_margin}, then {@code broken_by@EPS,margin@EPS} for each epsilon.
 *
 * @param labels each point's label
 * @param clean whether each point is classified correctly
 * @param cleanMargin each point's margin on the clean input
 * @param epsilons the epsilons, in the order of the columns
 * @param brokenBy per epsilon, for each point the label of the first attack that broke it, or null
 * @param margin per epsilon, for each point the smallest margin over the attacks at that epsilon
 */
public record ExampleRecord(int[] labels, boolean[] clean, float[] cleanMargin, List<Float> epsilons, List<String[]> brokenBy,
        List<float[]> margin) {

    /** The record's file name, beside the report. */
    public static final String FILE = "examples.csv";

    public int size() {
        return labels.length;
    }

    /** Whether point {@code i} is robust at the {@code e}-th epsilon: correct clean and broken by no attack. */
    public boolean robust(int e, int i) {
        return clean[i] && brokenBy.get(e)[i] == null;
    }

    /** The index of {@code epsilon} among the columns, or -1. */
    public int epsilonIndex(float epsilon) {
        for (int e = 0; e < epsilons.size(); e++) {
            if (Math.abs(epsilons.get(e) - epsilon) < 1e-6f) {
                return e;
            }
        }
        return -1;
    }

    public void writeCsv(Path file) throws IOException {
        StringBuilder sb = new StringBuilder("index,label,clean,clean_margin");
        for (float eps : epsilons) {
            sb.append(",broken_by@").append(eps).append(",margin@").append(eps);
        }
        sb.append('\n');
        for (int i = 0; i < labels.length; i++) {
            sb.append(i).append(',').append(labels[i]).append(',').append(clean[i] ? 1 : 0).append(',').append(format(cleanMargin[i]));
            for (int e = 0; e < epsilons.size(); e++) {
                String by = brokenBy.get(e)[i];
                sb.append(',').append(by == null ? "" : by).append(',').append(format(margin.get(e)[i]));
            }
            sb.append('\n');
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, sb, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static ExampleRecord readCsv(String text) {
        String[] lines = text.split("\n");
        String[] header = lines[0].split(",", -1);
        List<Float> epsilons = new ArrayList<>();
        for (int c = 4; c + 1 < header.length; c += 2) {
            epsilons.add(Float.parseFloat(header[c].substring(header[c].indexOf('@') + 1)));
        }
        int n = lines.length - 1;
        int[] labels = new int[n];
        boolean[] clean = new boolean[n];
        float[] cleanMargin = new float[n];
        List<String[]> brokenBy = new ArrayList<>();
        List<float[]> margin = new ArrayList<>();
        for (int e = 0; e < epsilons.size(); e++) {
            brokenBy.add(new String[n]);
            margin.add(new float[n]);
        }
        for (int i = 0; i < n; i++) {
            String[] f = lines[i + 1].split(",", -1);
            labels[i] = Integer.parseInt(f[1]);
            clean[i] = f[2].equals("1");
            cleanMargin[i] = Float.parseFloat(f[3]);
            for (int e = 0; e < epsilons.size(); e++) {
                String by = f[4 + 2 * e];
                brokenBy.get(e)[i] = by.isEmpty() ? null : by;
                margin.get(e)[i] = Float.parseFloat(f[5 + 2 * e]);
            }
        }
        return new ExampleRecord(labels, clean, cleanMargin, epsilons, brokenBy, margin);
    }

    private static String format(float v) {
        return Float.isNaN(v) ? "NaN" : String.format(Locale.ROOT, "%.5g", v);
    }
}
