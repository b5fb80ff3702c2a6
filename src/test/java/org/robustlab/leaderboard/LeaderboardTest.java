package org.robustlab.leaderboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.robustlab.evaluation.BestKnown;
import org.robustlab.ml.evaluation.Statistics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class LeaderboardTest {

    private final JsonMapper json = JsonMapper.builder().build();

    private JsonNode report(double clean, double worst, String attack) {
        return json.readTree("""
                {"testPoints": 1000, "cleanAccuracy": %s, "worstCaseAccuracy": [{"epsilon": 0.1, "accuracy": %s}],
                 "results": [{"label": "x", "epsilon": 0.1, "robustAccuracy": %s, "attack": %s}]}""".formatted(clean, worst, worst, attack));
    }

    private static final String STANDARD = "{\"type\": \"ensemble\", \"steps\": 100, \"restarts\": 9, \"queries\": 5000,"
            + " \"ensemble\": {\"version\": \"standard\", \"stages\": []}}";
    private static final String SMALL = "{\"type\": \"ensemble\", \"steps\": 100, \"restarts\": 9, \"queries\": 500,"
            + " \"ensemble\": {\"version\": \"standard\", \"stages\": []}}";
    /** An ensemble from before it held FAB-T: the older protocol, never ranked however large its budget. */
    private static final String OLDER = "{\"type\": \"ensemble\", \"steps\": 100, \"restarts\": 9, \"queries\": 5000}";
    private static final String PGD = "{\"type\": \"pgd\", \"steps\": 20}";

    @Test
    void onlyTheStandardBudgetIsRankedAndEachModelKeepsItsLowestWorstCase() {
        Map<UUID, JsonNode> reports = new LinkedHashMap<>();
        Map<UUID, Leaderboard.Model> models = new LinkedHashMap<>();
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        UUID c = UUID.randomUUID();
        UUID d = UUID.randomUUID();
        UUID[] evals = new UUID[7];
        for (int i = 0; i < evals.length; i++) {
            evals[i] = UUID.randomUUID();
        }
        put(reports, models, evals[0], report(0.8, 0.40, STANDARD), a, "arr");
        put(reports, models, evals[1], report(0.8, 0.35, STANDARD), a, "arr");      // a again, lower: kept
        put(reports, models, evals[2], report(0.9, 0.10, STANDARD), b, "standard");
        put(reports, models, evals[3], report(0.7, 0.60, PGD), c, "pgd-at");         // higher, but weaker: apart
        put(reports, models, evals[4], report(0.7, 0.55, SMALL), c, "pgd-at");       // a smaller ensemble is weaker too
        reports.put(evals[5], report(0.5, 0.5, STANDARD));                           // its model was deleted: left out
        put(reports, models, evals[6], report(0.6, 0.30, OLDER), d, "trades");       // the older protocol: apart
        Leaderboard.View view = Leaderboard.build(reports, models);
        assertThat(view.boards()).hasSize(1);
        Leaderboard.Board board = view.boards().get(0);
        assertThat(board.dataset()).isEqualTo("fashion-mnist");
        assertThat(board.epsilon()).isEqualTo(0.1);
        assertThat(board.ranked()).extracting(Leaderboard.Row::modelId).containsExactly(a, b);
        assertThat(board.ranked()).extracting(Leaderboard.Row::rank).containsExactly(1, 2);
        assertThat(board.ranked().get(0).worstCaseAccuracy()).isEqualTo(0.35);
        assertThat(board.ranked().get(0).evaluationId()).isEqualTo(evals[1]);
        assertThat(board.weaker()).extracting(Leaderboard.Row::modelId).containsExactly(c, d);
        assertThat(board.weaker().get(1).budget()).isEqualTo("x (older protocol, without FAB-T)");
        assertThat(board.weaker().get(0).rank()).isNull();
        assertThat(board.weaker().get(0).worstCaseAccuracy()).isEqualTo(0.55);
        assertThat(board.ranked().get(0).budget()).contains("AutoAttack standard");
        assertThat(board.weaker().get(0).testPoints()).isEqualTo(1000);
        assertThat(board.ranked().get(1).jobName()).isEqualTo("job of standard");
        // every figure with its interval for 1,000 points, the model's best-known figure, and its failed checks
        Leaderboard.Row top = board.ranked().get(0);
        assertThat(top.worstCaseInterval()).isEqualTo(Statistics.clopperPearson(350, 1000));
        assertThat(top.cleanInterval()).isEqualTo(Statistics.clopperPearson(800, 1000));
        assertThat(top.bestKnownAccuracy()).isEqualTo(0.25);
        assertThat(top.flags()).isEmpty();
    }

    private static void put(Map<UUID, JsonNode> reports, Map<UUID, Leaderboard.Model> models, UUID eval, JsonNode report, UUID model,
            String method) {
        reports.put(eval, report);
        models.put(eval, new Leaderboard.Model(model, UUID.randomUUID(), "job of " + method, "best-robust", "fashion-mnist", "small-cnn", method, "alice",
                List.of(new BestKnown(0.1f, 500, 2, 0.25, Statistics.clopperPearson(125, 500)))));
    }
}
