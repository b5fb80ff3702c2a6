package org.robustlab.leaderboard;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.robustlab.evaluation.BestKnown;
import org.robustlab.ml.evaluation.Statistics;
import tools.jackson.databind.JsonNode;

/**
 * The lab's leaderboard, RobustBench-style: for each dataset and epsilon, every evaluated model ranked by its
 * worst-case accuracy, but only where that worst case includes the ensemble at the standard budget. Models
 * evaluated with less (other attacks, a smaller ensemble) are listed apart and never ranked with them. A model
 * evaluated several times keeps its lowest worst case: the strongest attack found so far.
 */
public final class Leaderboard {

    /**
     * The standard budget: AutoAttack's standard version (APGD-CE 100 steps, APGD-T 9 targets x 100 steps, FAB-T 9 targets x
     * 100 steps, Square 5000 queries), or its plus version, which holds all of these.
     */
    public static final int STEPS = 100;
    public static final int TARGETS = 9;
    public static final int QUERIES = 5000;
    public static final String STANDARD = "AutoAttack standard: APGD-CE (" + STEPS + " steps), APGD-T (" + TARGETS + " targets x " + STEPS
            + " steps), FAB-T (" + TARGETS + " targets x " + STEPS + " steps) and Square (" + QUERIES + " queries)";

    private Leaderboard() {}

    /**
     * An evaluation's model, as the leaderboard names it (jobName: its training job's name, or null), with its best-known
     * robust accuracy at each epsilon (empty when none of its evaluations kept a per-example record).
     */
    public record Model(UUID id, UUID jobId, String jobName, String kind, String dataset, String architecture, String method, String owner,
            List<BestKnown> bestKnown) {}

    /**
     * A model's figure on one board.
     *
     * @param rank its place (1: most robust); absent for models evaluated with less than the standard budget
     * @param jobName the name of the job that trained it, if it has one
     * @param budget the attacks its worst case is over
     * @param testPoints the test points it was evaluated on
     * @param cleanInterval the 95% Clopper-Pearson interval of the clean accuracy
     * @param worstCaseInterval the 95% Clopper-Pearson interval of the worst-case accuracy
     * @param bestKnownAccuracy the model's best-known robust accuracy at this epsilon, over every evaluation of it
     * @param flags the checks its evaluation failed (masking checks and AutoAttack's)
     */
    @Schema(name = "LeaderboardRow")
    public record Row(Integer rank, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) UUID evaluationId,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) UUID modelId, UUID jobId, String jobName, String checkpoint,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String architecture,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String method, String owner,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double cleanAccuracy,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double worstCaseAccuracy,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String budget,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int testPoints,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Statistics.Interval cleanInterval,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) Statistics.Interval worstCaseInterval,
            Double bestKnownAccuracy,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<String> flags) {

        Row ranked(int rank) {
            return new Row(rank, evaluationId, modelId, jobId, jobName, checkpoint, architecture, method, owner, cleanAccuracy,
                    worstCaseAccuracy, budget, testPoints, cleanInterval, worstCaseInterval, bestKnownAccuracy, flags);
        }
    }

    /**
     * One dataset and epsilon.
     *
     * @param ranked models whose worst case includes the standard ensemble, most robust first
     * @param weaker models evaluated with less, most robust first and unranked
     */
    @Schema(name = "LeaderboardBoard")
    public record Board(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String dataset,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double epsilon,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Row> ranked,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Row> weaker) {}

    /**
     * @param standardBudget what a ranked figure's worst case must include
     * @param boards one per dataset and epsilon
     */
    @Schema(name = "Leaderboard")
    public record View(@Schema(requiredMode = Schema.RequiredMode.REQUIRED) String standardBudget,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<Board> boards) {}

    /**
     * True if {@code attack} (a report's attack, as JSON) is AutoAttack's standard (or plus) version with at least the
     * standard budget. An ensemble from before ensembles held FAB-T (it names no version) is the older protocol: never.
     */
    static boolean standard(JsonNode attack) {
        String version = attack.path("ensemble").path("version").asString("");
        return attack.path("type").asString("").equalsIgnoreCase("ensemble") && (version.equals("standard") || version.equals("plus"))
                && attack.path("steps").asInt(0) >= STEPS && attack.path("restarts").asInt(0) >= TARGETS
                && attack.path("queries").asInt(0) >= QUERIES;
    }

    /** A result's label on the board; an ensemble of the older protocol (APGD-CE, APGD-T, Square) says so. */
    static String label(JsonNode result) {
        JsonNode attack = result.path("attack");
        boolean older = attack.path("type").asString("").equalsIgnoreCase("ensemble") && attack.path("ensemble").isMissingNode();
        return result.path("label").asString() + (older ? " (older protocol, without FAB-T)" : "");
    }

    /**
     * Builds the boards from evaluations' reports and their models.
     *
     * @param reports each SUCCEEDED evaluation's id to its report (JSON)
     * @param models each evaluation's id to its model (evaluations whose model is gone are left out)
     */
    public static View build(Map<UUID, JsonNode> reports, Map<UUID, Model> models) {
        record Key(String dataset, double epsilon) {}
        Map<Key, Map<UUID, Row>> ranked = new TreeMap<>(Comparator.comparing(Key::dataset).thenComparingDouble(Key::epsilon));
        Map<Key, Map<UUID, Row>> weaker = new LinkedHashMap<>();
        for (Map.Entry<UUID, JsonNode> e : reports.entrySet()) {
            Model model = models.get(e.getKey());
            JsonNode report = e.getValue();
            if (model == null) {
                continue;
            }
            for (JsonNode w : report.path("worstCaseAccuracy")) {
                double eps = w.path("epsilon").asDouble();
                boolean standard = false;
                List<String> labels = new ArrayList<>();
                for (JsonNode r : report.path("results")) {
                    if (Math.abs(r.path("epsilon").asDouble() - eps) < 1e-6) {
                        standard |= standard(r.path("attack"));
                        labels.add(label(r));
                    }
                }
                Key key = new Key(model.dataset(), Math.round(eps * 1e6) / 1e6);
                int points = report.path("testPoints").asInt();
                double clean = report.path("cleanAccuracy").asDouble();
                double worstCase = w.path("accuracy").asDouble();
                Double bestKnown = model.bestKnown().stream().filter(b -> Math.abs(b.epsilon() - eps) < 1e-6).findFirst()
                        .map(BestKnown::accuracy).orElse(null);
                Row row = new Row(null, e.getKey(), model.id(), model.jobId(), model.jobName(), model.kind(), model.architecture(), model.method(),
                        model.owner(), clean, worstCase, standard ? STANDARD_SHORT : String.join(", ", labels), points,
                        interval(clean, points), interval(worstCase, points), bestKnown, flags(report));
                Map<Key, Map<UUID, Row>> into = standard ? ranked : weaker;
                into.computeIfAbsent(key, k -> new LinkedHashMap<>())
                        .merge(model.id(), row, (a, b) -> a.worstCaseAccuracy() <= b.worstCaseAccuracy() ? a : b);
                ranked.computeIfAbsent(key, k -> new LinkedHashMap<>());
            }
        }
        List<Board> boards = new ArrayList<>();
        for (Map.Entry<Key, Map<UUID, Row>> b : ranked.entrySet()) {
            List<Row> top = sorted(b.getValue().values());
            List<Row> numbered = new ArrayList<>();
            for (int i = 0; i < top.size(); i++) {
                numbered.add(top.get(i).ranked(i + 1));
            }
            List<Row> rest = sorted(weaker.getOrDefault(b.getKey(), Map.of()).values().stream()
                    .filter(r -> !b.getValue().containsKey(r.modelId())).toList());
            boards.add(new Board(b.getKey().dataset(), b.getKey().epsilon(), numbered, rest));
        }
        return new View(STANDARD, boards);
    }

    static final String STANDARD_SHORT = String.format(Locale.ROOT, "AutoAttack standard (%d steps, %d targets, %d queries)", STEPS, TARGETS,
            QUERIES);

    /** The 95% interval of an accuracy measured on {@code points} points. */
    private static Statistics.Interval interval(double accuracy, int points) {
        return Statistics.clopperPearson((int) Math.round(accuracy * points), Math.max(points, 0));
    }

    /** The checks a report's evaluation failed: its masking checks and AutoAttack's. */
    private static List<String> flags(JsonNode report) {
        List<String> out = new ArrayList<>();
        for (String field : List.of("maskingChecks", "autoAttackChecks")) {
            for (JsonNode c : report.path(field)) {
                if (!c.path("passed").asBoolean(true)) {
                    out.add(c.path("name").asString());
                }
            }
        }
        return out;
    }

    private static List<Row> sorted(Collection<Row> rows) {
        return rows.stream().sorted(Comparator.comparingDouble(Row::worstCaseAccuracy).reversed()
                .thenComparing(Comparator.comparingDouble(Row::cleanAccuracy).reversed())).toList();
    }
}
