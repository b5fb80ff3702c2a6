package org.robustlab.tools;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The paper's lambda ablation on Fashion-MNIST, run through a RobustLab service's sweep machinery as a user would:
 * one sweep (lambda x divergence x seeds, with the standard and PGD-AT baselines), each model evaluated under FGSM
 * and PGD-20 at epsilon 0.1; then the sweep's table, CSV and charts are written under {@code results/}, with
 * where lambda starts to trade clean accuracy for robustness and whether any setting shows the masking
 * signature (FGSM accuracy up while PGD accuracy falls, from one lambda to the next).
 *
 * <p>Start the service first ({@code ./mvnw spring-boot:run}), then:
 * {@code scripts/run-main org.robustlab.tools.LambdaAblation [--url http://localhost:8080] [--key-file data/admin-key]
 * [--lambdas 0.1,0.5,2,8,32] [--divergences kl,l2] [--seeds 1,2] [--train-subset 6000] [--epochs 3]
 * [--test-points 1000] [--out results/lambda-ablation] [--sweep ID: only collect the results of that sweep]}
 */
public final class LambdaAblation {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>(Map.of("--url", "http://localhost:8080", "--key-file", "data/admin-key",
                "--lambdas", "0.1,0.5,2,8,32", "--divergences", "kl,l2", "--seeds", "1,2", "--train-subset", "6000", "--epochs", "3",
                "--test-points", "1000", "--out", "results/lambda-ablation", "--sweep", ""));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!o.containsKey(args[i])) {
                throw new IllegalArgumentException("unknown option " + args[i] + "; expected one of " + o.keySet());
            }
            o.put(args[i], args[i + 1]);
        }
        String url = o.get("--url");
        String key = Files.readString(Path.of(o.get("--key-file"))).strip();
        HttpClient http = HttpClient.newHttpClient();

        ObjectNode sweep = JSON.createObjectNode();
        sweep.put("name", "lambda ablation (Fashion-MNIST)");
        ObjectNode base = sweep.putObject("base");
        base.put("dataset", "fashion-mnist").put("trainSubset", Integer.parseInt(o.get("--train-subset"))).put("model", "small-cnn")
                .put("method", "arr").put("epochs", Integer.parseInt(o.get("--epochs"))).put("batchSize", 128);
        base.putObject("attack").put("type", "fgsm").put("epsilon", 0.1);
        base.putObject("optimizer").put("type", "sgd").put("learningRate", 0.05).put("momentum", 0.9).put("weightDecay", 5e-4);
        base.putObject("validation").put("size", 1000).put("pgdSteps", 10);
        ObjectNode grid = sweep.putObject("grid");
        for (String l : o.get("--lambdas").split(",")) {
            grid.withArray("lambda").add(Double.parseDouble(l));
        }
        for (String d : o.get("--divergences").split(",")) {
            grid.withArray("divergence").add(d);
        }
        for (String s : o.get("--seeds").split(",")) {
            grid.withArray("seed").add(Long.parseLong(s));
        }
        var baselines = sweep.putArray("baselines");
        ObjectNode standard = baselines.addObject().put("name", "standard").putObject("request");
        standard.put("method", "standard").putNull("lambda").putNull("divergence").putNull("attack");
        ObjectNode pgdAt = baselines.addObject().put("name", "pgd-at").putObject("request");
        pgdAt.put("method", "pgd-at").putNull("lambda").putNull("divergence");
        pgdAt.putObject("attack").put("type", "pgd").put("epsilon", 0.1).put("steps", 7);
        ObjectNode evaluation = sweep.putObject("evaluation");
        evaluation.putArray("checkpoints").add("best-robust");
        ObjectNode request = evaluation.putObject("request");
        request.put("testSubset", Integer.parseInt(o.get("--test-points")));
        request.putArray("attacks").addObject().put("type", "fgsm").put("epsilon", 0.1);
        request.withArray("attacks").addObject().put("type", "pgd").put("epsilon", 0.1).put("steps", 20);
        request.putObject("diagnostics").put("enabled", false);

        String id = o.get("--sweep");
        if (id.isEmpty()) {
            id = submit(http, url, key, sweep);
        }
        JsonNode view;
        while (true) {
            view = JSON.readTree(get(http, url, key, "/api/v1/sweeps/" + id).body());
            JsonNode p = view.get("progress");
            System.out.printf(Locale.ROOT, "%s  %s: %d done, %d training, %d evaluating, %d pending, %d failed%n", Instant.now(),
                    view.get("state").asString(), p.get("done").asInt(), p.get("training").asInt(), p.get("evaluating").asInt(),
                    p.get("pending").asInt(), p.get("failed").asInt());
            if (!view.get("state").asString().equals("RUNNING")) {
                break;
            }
            Thread.sleep(20_000);
        }
        double minutes = Duration.between(Instant.parse(view.get("createdAt").asString()), Instant.parse(view.get("finishedAt").asString()))
                .toSeconds() / 60.0;
        JsonNode rows = JSON.readTree(get(http, url, key, "/api/v1/sweeps/" + id + "/results").body());
        Path out = Path.of(o.get("--out"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(Path.of(out + ".csv"), get(http, url, key, "/api/v1/sweeps/" + id + "/results.csv").body());
        for (String chart : List.of("worst-case-vs-lambda", "clean-vs-worst-case", "cost-vs-robustness")) {
            HttpResponse<byte[]> png = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/sweeps/" + id + "/plots/" + chart + ".png"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofByteArray());
            Files.write(Path.of(out + "-" + chart + ".png"), png.body());
        }
        o.remove("--sweep");
        String md = markdown(o, id, view, rows, minutes, out.getFileName().toString());
        Files.writeString(Path.of(out + ".md"), md);
        System.out.println(md);
    }

    private static String submit(HttpClient http, String url, String key, ObjectNode sweep) throws IOException, InterruptedException {
        HttpResponse<String> created = send(http, HttpRequest.newBuilder(URI.create(url + "/api/v1/sweeps")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(sweep))).build());
        if (created.statusCode() != 202) {
            throw new IllegalStateException("the sweep was refused: " + created.statusCode() + " " + created.body());
        }
        String id = JSON.readTree(created.body()).get("id").asString();
        System.out.println("sweep " + id + " submitted; " + JSON.readTree(created.body()).get("members").size() + " members");
        return id;
    }

    /** The table, the trade-off and the masking check, as markdown. */
    static String markdown(Map<String, String> o, String id, JsonNode view, JsonNode rows, double minutes, String name) {
        StringBuilder b = new StringBuilder();
        b.append("# Lambda ablation on Fashion-MNIST, through the sweep machinery\n\n");
        b.append(String.format(Locale.ROOT, "Sweep `%s`, %s, %d members, %.1f minutes wall time; ended %s on %s.%n%n", id, view.get("strategy").asString(),
                view.get("members").size(), minutes, view.get("state").asString(), LocalDate.now()));
        b.append("Command (with the service running on embedded H2: `./mvnw spring-boot:run`):\n\n```\nscripts/run-main org.robustlab.tools.LambdaAblation");
        o.forEach((k, v) -> b.append(' ').append(k).append(' ').append(v));
        b.append("\n```\n\n");
        b.append("Every job: SmallCNN, ").append(o.get("--train-subset")).append(" training images, ").append(o.get("--epochs"))
                .append(" epochs, batch 128, SGD (lr 0.05, momentum 0.9, weight decay 5e-4), ARR with an FGSM inner attack at epsilon 0.1;"
                        + " baselines standard and PGD-AT (PGD-7). Each model's best-robust checkpoint (by validation PGD-10 on 1,000 held-out"
                        + " training images) is evaluated on the first ").append(o.get("--test-points"))
                .append(" test images under FGSM and PGD-20 (step epsilon/4, random start) at epsilon 0.1. Mean ± sample standard deviation over seeds ")
                .append(o.get("--seeds")).append(".\n\n");
        b.append("| configuration | clean | FGSM | PGD-20 | worst case | train s | Pareto |\n|---|---|---|---|---|---|---|\n");
        // divergence -> lambda -> row
        Map<String, TreeMap<Double, JsonNode>> byDivergence = new TreeMap<>();
        List<JsonNode> baselines = new ArrayList<>();
        for (JsonNode r : rows) {
            b.append("| ").append(r.get("config").asString()).append(" | ").append(stat(r.get("clean"))).append(" | ")
                    .append(stat(attack(r, "fgsm"))).append(" | ").append(stat(attack(r, "pgd-20"))).append(" | ").append(stat(r.get("worstCase")))
                    .append(" | ").append(String.format(Locale.ROOT, "%.0f", r.get("trainSeconds").get("mean").asDouble())).append(" | ")
                    .append(r.get("pareto").asBoolean() ? "yes" : "").append(" |\n");
            Map<String, String> config = parse(r.get("config").asString());
            if (config.containsKey("lambda")) {
                byDivergence.computeIfAbsent(config.getOrDefault("divergence", "kl"), k -> new TreeMap<>())
                        .put(Double.parseDouble(config.get("lambda")), r);
            } else {
                baselines.add(r);
            }
        }
        b.append("\n![worst case against lambda](").append(name).append("-worst-case-vs-lambda.png)\n");
        b.append("![clean against worst case](").append(name).append("-clean-vs-worst-case.png)\n\n");
        b.append("## Where lambda starts to cost clean accuracy\n\n");
        for (Map.Entry<String, TreeMap<Double, JsonNode>> d : byDivergence.entrySet()) {
            var first = d.getValue().firstEntry();
            double clean0 = first.getValue().get("clean").get("mean").asDouble();
            Double trade = null;
            for (var e : d.getValue().entrySet()) {
                if (clean0 - e.getValue().get("clean").get("mean").asDouble() > 0.01) {
                    trade = e.getKey();
                    break;
                }
            }
            var best = d.getValue().entrySet().stream().max(Comparator.comparingDouble(e -> e.getValue().get("worstCase").get("mean").asDouble()))
                    .orElseThrow();
            b.append(String.format(Locale.ROOT, "- %s: %s; the highest worst case is at lambda %s (%.1f%%, clean %.1f%%).%n", d.getKey(),
                    trade == null ? "clean accuracy stays within 1 point of lambda " + fmt(first.getKey()) + "'s over the whole range"
                            : String.format(Locale.ROOT, "clean accuracy first falls more than 1 point below lambda %s's (%.1f%%) at lambda %s (%.1f%%)",
                                    fmt(first.getKey()), 100 * clean0, fmt(trade), 100 * d.getValue().get(trade).get("clean").get("mean").asDouble()),
                    fmt(best.getKey()), 100 * best.getValue().get("worstCase").get("mean").asDouble(),
                    100 * best.getValue().get("clean").get("mean").asDouble()));
        }
        b.append("\n## Masking signature (FGSM accuracy up while PGD-20 accuracy falls, from one lambda to the next)\n\n");
        boolean any = false;
        for (Map.Entry<String, TreeMap<Double, JsonNode>> d : byDivergence.entrySet()) {
            Map.Entry<Double, JsonNode> prev = null;
            for (var e : d.getValue().entrySet()) {
                if (prev != null) {
                    double dF = attack(e.getValue(), "fgsm").get("mean").asDouble() - attack(prev.getValue(), "fgsm").get("mean").asDouble();
                    double dP = attack(e.getValue(), "pgd-20").get("mean").asDouble() - attack(prev.getValue(), "pgd-20").get("mean").asDouble();
                    if (dF > 0 && dP < 0) {
                        any = true;
                        double spread = Math.max(std(attack(e.getValue(), "pgd-20")), std(attack(prev.getValue(), "pgd-20")));
                        b.append(String.format(Locale.ROOT, "- %s, lambda %s -> %s: FGSM %+.1f points, PGD-20 %+.1f points%s.%n", d.getKey(),
                                fmt(prev.getKey()), fmt(e.getKey()), 100 * dF, 100 * dP, Math.abs(dP) <= spread
                                        ? String.format(Locale.ROOT, ", within the seeds' spread (PGD-20 std up to %.1f points): not a signal", 100 * spread)
                                        : ", beyond the seeds' spread: a masking signal"));
                    }
                }
                prev = e;
            }
        }
        if (!any) {
            b.append("- None: wherever FGSM accuracy rose with lambda, PGD-20 accuracy rose too.\n");
        }
        for (JsonNode r : rows) {
            double clean = r.get("clean").get("mean").asDouble();
            if (clean < 0.15 && Math.abs(clean - r.get("worstCase").get("mean").asDouble()) < 1e-9) {
                b.append("- ").append(r.get("config").asString()).append(String.format(Locale.ROOT, ": collapsed to chance (clean %.1f%%, equal"
                        + " to its robust accuracy): the model predicts one class whatever the input, which no attack can change. Its"
                        + " robust accuracy is no robustness; the regulariser outweighed the cross-entropy at this lambda.%n", 100 * clean));
            }
            if (attack(r, "fgsm").get("mean").asDouble() < attack(r, "pgd-20").get("mean").asDouble()) {
                b.append("- ").append(r.get("config").asString()).append(": FGSM accuracy below PGD-20's, a sign of a weak PGD.\n");
            }
        }
        List<String> failed = new ArrayList<>();
        for (JsonNode m : view.get("members")) {
            if (m.get("state").asString().equals("FAILED")) {
                failed.add("- " + m.get("config").asString() + (m.has("seed") ? ", seed " + m.get("seed").asLong() : "") + ": "
                        + m.get("reason").asString() + "\n");
            }
        }
        if (!failed.isEmpty()) {
            b.append("\n## Configurations that failed (not in the table)\n\n");
            failed.forEach(b::append);
        }
        if (!baselines.isEmpty()) {
            b.append("\nBaselines: ");
            for (JsonNode r : baselines) {
                b.append(r.get("config").asString()).append(" clean ").append(stat(r.get("clean"))).append(", worst case ")
                        .append(stat(r.get("worstCase"))).append("; ");
            }
            b.setLength(b.length() - 2);
            b.append(".\n");
        }
        return b.toString();
    }

    private static JsonNode attack(JsonNode row, String label) {
        for (JsonNode a : row.get("attacks")) {
            if (a.get("label").asString().equals(label)) {
                return a.get("accuracy");
            }
        }
        throw new IllegalStateException("no " + label + " in " + row);
    }

    private static String stat(JsonNode s) {
        JsonNode std = s.get("std");
        return String.format(Locale.ROOT, "%.1f%%", 100 * s.get("mean").asDouble())
                + (std == null || std.isNull() ? "" : String.format(Locale.ROOT, " ± %.1f", 100 * std.asDouble()));
    }

    private static double std(JsonNode s) {
        JsonNode std = s.get("std");
        return std == null || std.isNull() ? 0 : std.asDouble();
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }

    static Map<String, String> parse(String config) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String part : config.split(", ")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                m.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return m;
    }

    private static HttpResponse<String> get(HttpClient http, String url, String key, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = send(http, HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key).build());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r;
    }

    private static HttpResponse<String> send(HttpClient http, HttpRequest request) throws IOException, InterruptedException {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
