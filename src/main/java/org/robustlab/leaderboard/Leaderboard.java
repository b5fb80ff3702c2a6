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
import tools.jackson.databind.JsonNode;

/**
 * The lab's leaderboard, RobustBench-style: for each dataset and epsilon, every evaluated model ranked by its
 * worst-case accuracy, but only where that worst case includes the ensemble at the standard budget. Models
 * evaluated with less (other attacks, a smaller ensemble) are listed apart and never ranked with them. A model
 * evaluated several times keeps its lowest worst case: the strongest attack found so far.
 */
public final class Leaderboard {

    /** The standard budget: AutoAttack's (APGD-CE 100 steps, targeted APGD-DLR 9 targets x 100 steps, Square 5000 queries). */
    public static final int STEPS = 100;
    public static final int TARGETS = 9;
    public static final int QUERIES = 5000;
    public static final String STANDARD = "ensemble of APGD-CE (" + STEPS + " steps), targeted APGD-DLR (" + TARGETS + " targets x "
            + STEPS + " steps) and Square (" + QUERIES + " queries)";

    private Leaderboard() {}

    /** An evaluation's model, as the leaderboard names it (jobName: its training job's name, or null). */
    public record Model(UUID id, UUID jobId, String jobName, String kind, String dataset, String architecture, String method, String owner) {}

    /**
     * A model's figure on one board.
     *
     * @param rank its place (1: most robust); absent for models evaluated with less than the standard budget
     * @param jobName the name of the job that trained it, if it has one
     * @param budget the attacks its worst case is over
     * @param testPoints the test points it was evaluated on
     */
    @Schema(name = "LeaderboardRow")
    public record Row(Integer rank, @Schema(requiredMode = Schema.RequiredMode.REQUIRED) UUID evaluationId,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) UUID modelId, UUID jobId, String jobName, String checkpoint,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String architecture,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String method, String owner,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double cleanAccuracy,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) double worstCaseAccuracy,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) String budget,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) int testPoints) {}

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

    /** True if {@code attack} (a report's attack, as JSON) is the ensemble with at least the standard budget. */
    static boolean standard(JsonNode attack) {
        return attack.path("type").asString("").equalsIgnoreCase("ensemble") && attack.path("steps").asInt(0) >= STEPS
                && attack.path("restarts").asInt(0) >= TARGETS && attack.path("queries").asInt(0) >= QUERIES;
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
                        labels.add(r.path("label").asString());
                    }
                }
                Key key = new Key(model.dataset(), Math.round(eps * 1e6) / 1e6);
                Row row = new Row(null, e.getKey(), model.id(), model.jobId(), model.jobName(), model.kind(), model.architecture(), model.method(),
                        model.owner(), report.path("cleanAccuracy").asDouble(), w.path("accuracy").asDouble(),
                        standard ? STANDARD_SHORT : String.join(", ", labels), report.path("testPoints").asInt());
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
                Row r = top.get(i);
                numbered.add(new Row(i + 1, r.evaluationId(), r.modelId(), r.jobId(), r.jobName(), r.checkpoint(), r.architecture(), r.method(), r.owner(),
                        r.cleanAccuracy(), r.worstCaseAccuracy(), r.budget(), r.testPoints()));
            }
            List<Row> rest = sorted(weaker.getOrDefault(b.getKey(), Map.of()).values().stream()
                    .filter(r -> !b.getValue().containsKey(r.modelId())).toList());
            boards.add(new Board(b.getKey().dataset(), b.getKey().epsilon(), numbered, rest));
        }
        return new View(STANDARD, boards);
    }

    static final String STANDARD_SHORT = String.format(Locale.ROOT, "standard ensemble (%d steps, %d targets, %d queries)", STEPS, TARGETS,
            QUERIES);

    private static List<Row> sorted(Collection<Row> rows) {
        return rows.stream().sorted(Comparator.comparingDouble(Row::worstCaseAccuracy).reversed()
                .thenComparing(Comparator.comparingDouble(Row::cleanAccuracy).reversed())).toList();
    }
}
