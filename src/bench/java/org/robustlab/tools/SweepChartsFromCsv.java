package org.robustlab.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.robustlab.sweep.SweepPages;
import org.robustlab.sweep.SweepResults;

/**
 * Draws a sweep's three charts again from the CSV its {@code results.csv} endpoint gave (the file {@link LambdaAblation}
 * saves beside its table), with the service's own chart code: for when the drawing changes and the sweep, whose figures
 * are in the CSV, need not run again. The pictures get the names {@link LambdaAblation} gives them.
 *
 * <p>Run: {@code scripts/run-main org.robustlab.tools.SweepChartsFromCsv results/lambda-ablation}
 * (reads {@code results/lambda-ablation.csv}, writes {@code results/lambda-ablation-<chart>.png}).
 */
public final class SweepChartsFromCsv {

    private SweepChartsFromCsv() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: SweepChartsFromCsv OUT_PREFIX (reads OUT_PREFIX.csv)");
        }
        String prefix = args[0];
        List<SweepResults.SweepRow> rows = rows(Files.readAllLines(Path.of(prefix + ".csv")));
        for (String chart : SweepPages.CHARTS) {
            Path png = Path.of(prefix + "-" + chart + ".png");
            Files.write(png, SweepPages.chart(chart, rows));
            System.out.println("wrote " + png);
        }
    }

    /**
     * The rows of a sweep's CSV (config, baseline, checkpoint, seeds, clean_mean, clean_std, one mean and std per attack,
     * worst_case_mean, worst_case_std, train_seconds_mean, images_per_second_mean, device, masking_passed, masking_failed,
     * pareto). The CSV gives how many seeds, not which: the rows number them 1..n, which no chart reads.
     */
    static List<SweepResults.SweepRow> rows(List<String> lines) {
        List<String> header = fields(lines.get(0));
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            col.put(header.get(i), i);
        }
        List<SweepResults.SweepRow> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> f = fields(line);
            int n = Integer.parseInt(f.get(col.get("seeds")));
            List<SweepResults.AttackStat> attacks = new ArrayList<>();
            for (String h : header) {
                if (h.contains("@") && h.endsWith("_mean")) {
                    String key = h.substring(0, h.length() - "_mean".length());
                    attacks.add(new SweepResults.AttackStat(key.substring(0, key.indexOf('@')),
                            Double.parseDouble(key.substring(key.indexOf('@') + 1)), stat(f, col, key, n)));
                }
            }
            String baseline = f.get(col.get("baseline"));
            rows.add(new SweepResults.SweepRow(f.get(col.get("config")), baseline.isEmpty() ? null : baseline,
                    f.get(col.get("checkpoint")), LongStream.rangeClosed(1, n).boxed().toList(), stat(f, col, "clean", n), attacks,
                    stat(f, col, "worst_case", n), stat(f, col, "train_seconds", n), stat(f, col, "images_per_second", n),
                    f.get(col.get("device")), Integer.parseInt(f.get(col.get("masking_passed"))),
                    Integer.parseInt(f.get(col.get("masking_failed"))), Boolean.parseBoolean(f.get(col.get("pareto")))));
        }
        return rows;
    }

    private static SweepResults.SweepStat stat(List<String> f, Map<String, Integer> col, String name, int n) {
        double mean = Double.parseDouble(f.get(col.get(name + "_mean")));
        Integer stdColumn = col.get(name + "_std");
        String std = stdColumn == null ? "" : f.get(stdColumn);
        return new SweepResults.SweepStat(mean, std.isEmpty() ? null : Double.valueOf(std), n, null);
    }

    /** A CSV line's fields (RFC 4180: quoted fields may hold commas and doubled quotes). */
    static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cur.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
