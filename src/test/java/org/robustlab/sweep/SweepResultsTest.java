package org.robustlab.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.evaluation.Statistics;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The sweep table's arithmetic on reports made by hand, and the JSON merge patch baselines use. */
class SweepResultsTest {

    private final JsonMapper json = JsonMapper.builder().build();

    private JsonNode report(double clean, double fgsm, double pgd, boolean... checks) {
        StringBuilder masking = new StringBuilder();
        for (boolean c : checks) {
            masking.append(masking.isEmpty() ? "" : ",").append("{\"passed\":").append(c).append('}');
        }
        return json.readTree("""
                {"testPoints": 200, "cleanAccuracy": %s, "results": [{"label": "fgsm", "epsilon": 0.1, "robustAccuracy": %s},
                 {"label": "pgd-20", "epsilon": 0.1, "robustAccuracy": %s}],
                 "worstCaseAccuracy": [{"epsilon": 0.05, "accuracy": 0.9}, {"epsilon": 0.1, "accuracy": %s}],
                 "maskingChecks": [%s]}""".formatted(clean, fgsm, pgd, Math.min(fgsm, pgd), masking));
    }

    @Test
    void meansStandardDeviationsAndTheParetoFront() {
        var rows = SweepResults.rows(List.of(
                new SweepResults.Outcome("lambda=1", null, 1, "best-robust", report(0.80, 0.50, 0.40, true, true), 10, 100, "cpu"),
                new SweepResults.Outcome("lambda=1", null, 2, "best-robust", report(0.70, 0.40, 0.30, true, false), 12, 90, "cpu"),
                new SweepResults.Outcome("lambda=4", null, 1, "best-robust", report(0.60, 0.45, 0.44), 10, 100, "cpu"),
                new SweepResults.Outcome("baseline standard", "standard", 1, "best-robust", report(0.74, 0.10, 0.02), 5, 200, "cpu"),
                new SweepResults.Outcome("baseline weak", "weak", 1, "best-robust", report(0.60, 0.30, 0.20), 5, 200, "cpu")));
        assertThat(rows).hasSize(4);
        SweepResults.SweepRow l1 = rows.get(0);
        assertThat(l1.seeds()).containsExactly(1L, 2L);
        assertThat(l1.clean().mean()).isCloseTo(0.75, within(1e-12));
        // sample standard deviation of 0.8 and 0.7: |a - b| / sqrt(2)
        assertThat(l1.clean().std()).isCloseTo(0.1 / Math.sqrt(2), within(1e-12));
        assertThat(l1.attacks()).extracting(SweepResults.AttackStat::label).containsExactly("fgsm", "pgd-20");
        assertThat(l1.attacks().get(1).accuracy().mean()).isCloseTo(0.35, within(1e-12));
        // the worst case is taken at the largest epsilon (0.1), not the lowest figure of the report
        assertThat(l1.worstCase().mean()).isCloseTo(0.35, within(1e-12));
        assertThat(l1.trainSeconds().mean()).isCloseTo(11, within(1e-12));
        // accuracies carry the interval of the seeds' correct points pooled over their test points: 160 + 140 of 400 clean
        assertThat(l1.clean().interval()).isEqualTo(Statistics.clopperPearson(300, 400));
        assertThat(l1.worstCase().interval()).isEqualTo(Statistics.clopperPearson(140, 400));
        assertThat(l1.trainSeconds().interval()).as("not an accuracy").isNull();
        assertThat(l1.maskingChecksPassed()).isEqualTo(3);
        assertThat(l1.maskingChecksFailed()).isEqualTo(1);
        assertThat(rows.get(1).clean().std()).as("one seed: no standard deviation").isNull();
        // front: lambda=1 (best clean 0.75 / 0.35), lambda=4 (best worst case 0.44); standard (0.74, 0.02) and weak (0.6, 0.2)
        // are each beaten on both by lambda=1
        assertThat(rows).extracting(SweepResults.SweepRow::pareto).containsExactly(true, true, false, false);
        String csv = SweepResults.csv(rows);
        assertThat(csv.split("\n")).hasSize(5);
        assertThat(csv.split("\n")[0]).isEqualTo("config,baseline,checkpoint,seeds,clean_mean,clean_std,fgsm@0.1_mean,fgsm@0.1_std,"
                + "pgd-20@0.1_mean,pgd-20@0.1_std,worst_case_mean,worst_case_std,train_seconds_mean,images_per_second_mean,device,"
                + "masking_passed,masking_failed,pareto");
        assertThat(csv.split("\n")[1]).startsWith("lambda=1,,best-robust,2,0.750000,0.070711,0.450000,");
    }

    @Test
    void mergePatchSetsReplacesAndRemoves() {
        JsonNode base = json.readTree("{\"method\": \"arr\", \"lambda\": 1, \"attack\": {\"type\": \"fgsm\", \"epsilon\": 0.1}}");
        JsonNode patch = json.readTree("{\"method\": \"pgd-at\", \"lambda\": null, \"attack\": {\"type\": \"pgd\", \"steps\": 10}}");
        assertThat(SweepPlans.mergePatch(base.deepCopy(), patch).toString())
                .isEqualTo("{\"method\":\"pgd-at\",\"attack\":{\"type\":\"pgd\",\"epsilon\":0.1,\"steps\":10}}");
    }
}
