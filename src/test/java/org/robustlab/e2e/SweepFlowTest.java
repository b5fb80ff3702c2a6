package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The paper's ablation as one request: 2 divergences x 3 lambdas x 2 seeds, plus the standard and PGD-AT
 * baselines over the same seeds, on a small budget; the sweep's table is checked against its members'
 * own evaluation reports.
 */
class SweepFlowTest extends RealServerTest {

    static final String SWEEP = """
            {"name": "ablation",
             "base": {"dataset": "fashion-mnist", "trainSubset": 256, "model": "small-cnn", "method": "arr", "epochs": 1,
                      "batchSize": 64, "attack": {"type": "fgsm", "epsilon": 0.1}, "validation": {"size": 100, "pgdSteps": 2},
                      "optimizer": {"type": "sgd", "learningRate": 0.01, "momentum": 0.9}},
             "grid": {"divergence": ["kl", "l2"], "lambda": [0.5, 1, 4], "seed": [1, 2]},
             "baselines": [{"name": "standard", "request": {"method": "standard", "lambda": null, "divergence": null, "attack": null}},
                           {"name": "pgd-at", "request": {"method": "pgd-at", "lambda": null, "divergence": null,
                                                          "attack": {"type": "pgd", "epsilon": 0.1, "steps": 3}}}],
             "evaluation": {"request": {"testSubset": 100, "attacks": [{"type": "fgsm", "epsilon": 0.1},
                                                                      {"type": "pgd", "epsilon": 0.1, "steps": 5}],
                                        "diagnostics": {"enabled": false}}}}""";

    @Test
    void anAblationSweepRunsToOneTableThatAgreesWithItsJobs() throws Exception {
        HttpResponse<String> created = api.post("/api/v1/sweeps", SWEEP);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        JsonNode sweep = json.readTree(created.body());
        String id = sweep.get("id").asString();
        assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/sweeps/" + id);
        assertThat(sweep.get("members")).hasSize(16);
        assertThat(sweep.get("progress").get("members").asInt()).isEqualTo(16);

        JsonNode done = api.waitFor("/api/v1/sweeps/" + id, s -> s.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(40));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("progress").get("done").asInt()).as(done.toString()).isEqualTo(16);

        // the members' own reports, by configuration
        Map<String, List<JsonNode>> reports = new HashMap<>();
        for (JsonNode m : done.get("members")) {
            String evaluation = m.get("evaluations").get("best-robust").asString();
            JsonNode report = json.readTree(api.get("/api/v1/evaluations/" + evaluation + "/report").body());
            reports.computeIfAbsent(m.get("config").asString(), k -> new ArrayList<>()).add(report);
            JsonNode job = json.readTree(api.get("/api/v1/training-jobs/" + m.get("jobId").asString()).body());
            assertThat(job.get("tags").toString()).contains("sweep-" + id.substring(0, 8));
        }
        // a sweep keeps its members: their jobs, models and evaluations cannot be deleted
        JsonNode first = done.get("members").get(0);
        HttpResponse<String> kept = api.delete("/api/v1/training-jobs/" + first.get("jobId").asString());
        assertThat(kept.statusCode()).as(kept.body()).isEqualTo(409);
        assertThat(json.readTree(kept.body()).get("detail").asString()).contains("belongs to sweep " + id);
        assertThat(api.delete("/api/v1/evaluations/" + first.get("evaluations").get("best-robust").asString()).statusCode()).isEqualTo(409);
        String firstModel = json.readTree(api.get("/api/v1/training-jobs/" + first.get("jobId").asString()).body()).get("models").get(0).get("id").asString();
        assertThat(api.delete("/api/v1/models/" + firstModel).statusCode()).isEqualTo(409);
        assertThat(reports.keySet()).containsExactlyInAnyOrder("divergence=kl, lambda=0.5", "divergence=kl, lambda=1",
                "divergence=kl, lambda=4", "divergence=l2, lambda=0.5", "divergence=l2, lambda=1", "divergence=l2, lambda=4",
                "baseline standard", "baseline pgd-at");

        JsonNode rows = json.readTree(api.get("/api/v1/sweeps/" + id + "/results").body());
        assertThat(rows).hasSize(8);
        int pareto = 0;
        for (JsonNode row : rows) {
            List<JsonNode> mine = reports.get(row.get("config").asString());
            assertThat(row.get("seeds")).hasSize(2);
            check(row.get("clean"), mine.stream().map(r -> r.get("cleanAccuracy").asDouble()).toList());
            for (JsonNode a : row.get("attacks")) {
                List<Double> values = new ArrayList<>();
                for (JsonNode r : mine) {
                    for (JsonNode x : r.get("results")) {
                        if (x.get("label").asString().equals(a.get("label").asString())) {
                            values.add(x.get("robustAccuracy").asDouble());
                        }
                    }
                }
                check(a.get("accuracy"), values);
            }
            assertThat(row.get("attacks")).hasSize(2);
            check(row.get("worstCase"), mine.stream().map(r -> r.get("worstCaseAccuracy").get(0).get("accuracy").asDouble()).toList());
            assertThat(row.get("trainSeconds").get("mean").asDouble()).isPositive();
            pareto += row.get("pareto").asBoolean() ? 1 : 0;
            // a row on the front is beaten by none on both clean and worst case
            if (row.get("pareto").asBoolean()) {
                for (JsonNode o : rows) {
                    boolean beats = o.get("clean").get("mean").asDouble() > row.get("clean").get("mean").asDouble()
                            && o.get("worstCase").get("mean").asDouble() > row.get("worstCase").get("mean").asDouble();
                    assertThat(beats).as("%s beats %s on both", o.get("config"), row.get("config")).isFalse();
                }
            }
        }
        assertThat(pareto).isBetween(1, 8);

        HttpResponse<String> csv = api.get("/api/v1/sweeps/" + id + "/results.csv");
        assertThat(csv.statusCode()).isEqualTo(200);
        assertThat(csv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        String[] lines = csv.body().split("\n");
        assertThat(lines).hasSize(9);
        assertThat(lines[0]).startsWith("config,baseline,checkpoint,seeds,clean_mean,clean_std,fgsm@0.1_mean");

        // the page: the table and its three charts, which are real PNG pictures
        HttpResponse<String> page = http.send(api.request("/api/v1/sweeps/" + id + "/report.html").header("Accept", "text/html").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body().split("<tr data-config=", -1)).hasSize(9);
        assertThat(page.body()).contains("baseline pgd-at").contains("&plusmn;");
        for (String chart : List.of("worst-case-vs-lambda", "clean-vs-worst-case", "cost-vs-robustness")) {
            assertThat(page.body()).contains("/api/v1/sweeps/" + id + "/plots/" + chart + ".png");
            HttpResponse<byte[]> png = http.send(api.request("/api/v1/sweeps/" + id + "/plots/" + chart + ".png").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(png.statusCode()).as(chart).isEqualTo(200);
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png.body()));
            assertThat(image).as(chart).isNotNull();
            assertThat(image.getWidth()).isEqualTo(800);
        }
        assertThat(api.get("/api/v1/sweeps/" + id + "/plots/nothing.png").statusCode()).isEqualTo(404);
    }

    static final String HALVING = """
            {"name": "halving",
             "base": {"dataset": "fashion-mnist", "trainSubset": 256, "model": "small-cnn", "method": "arr", "epochs": 3,
                      "batchSize": 64, "attack": {"type": "fgsm", "epsilon": 0.1}, "validation": {"size": 100, "pgdSteps": 2},
                      "optimizer": {"type": "sgd", "learningRate": 0.05, "momentum": 0.9},
                      "schedule": {"type": "multistep", "milestones": [2], "gamma": 0.1}},
             "grid": {"lambda": [0.25, 1, 4, 16]},
             "baselines": [{"name": "standard", "request": {"method": "standard", "lambda": null, "divergence": null, "attack": null}}],
             "evaluation": {"checkpoints": ["last"],
                            "request": {"testSubset": 100, "attacks": [{"type": "pgd", "epsilon": 0.1, "steps": 5}],
                                        "diagnostics": {"enabled": false}}},
             "strategy": "asha", "halving": {"rungs": [1, 2], "reductionFactor": 2}}""";

    @Test
    void successiveHalvingPrunesHalfTheConfigurationsAtEachRung() throws Exception {
        HttpResponse<String> created = api.post("/api/v1/sweeps", HALVING);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        String id = json.readTree(created.body()).get("id").asString();
        JsonNode done = api.waitFor("/api/v1/sweeps/" + id, s -> s.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(30));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");

        // 4 configurations: 2 go past rung 0 (epoch 1), 1 past rung 1 (epoch 2); the baseline is never pruned
        JsonNode rungs = done.get("halving");
        assertThat(rungs).hasSize(2);
        assertThat(rungs.get(0).get("epochs").asInt()).isEqualTo(1);
        assertThat(rungs.get(0).get("configurations").asInt()).isEqualTo(4);
        assertThat(rungs.get(0).get("continued").asInt()).isEqualTo(2);
        assertThat(rungs.get(0).get("pruned")).hasSize(2);
        assertThat(rungs.get(1).get("configurations").asInt()).isEqualTo(2);
        assertThat(rungs.get(1).get("continued").asInt()).isEqualTo(1);
        assertThat(rungs.get(1).get("pruned")).hasSize(1);
        assertThat(done.get("progress").get("pruned").asInt()).isEqualTo(3);
        assertThat(done.get("progress").get("done").asInt()).isEqualTo(2);

        // each rung's decision follows the rung jobs' own validation PGD accuracy
        Map<Integer, Double> lowestKept = new HashMap<>();
        Map<Integer, Double> highestPruned = new HashMap<>();
        for (JsonNode m : done.get("members")) {
            List<String> jobs = new ArrayList<>();
            m.get("jobs").forEach(j -> jobs.add(j.asString()));
            if (m.get("baseline") != null && !m.get("baseline").isNull()) {
                assertThat(jobs).hasSize(1);
                assertThat(m.get("state").asString()).isEqualTo("DONE");
                continue;
            }
            int rung = m.get("rung").asInt();
            assertThat(jobs).hasSize(Math.min(rung, 2) + 1);
            // an earlier rung's job is the sweep's too (listed in the member's jobs, not as its current job)
            assertThat(api.delete("/api/v1/training-jobs/" + jobs.get(0)).statusCode()).isEqualTo(409);
            for (int r = 0; r < jobs.size(); r++) {
                JsonNode job = json.readTree(api.get("/api/v1/training-jobs/" + jobs.get(r)).body());
                JsonNode metrics = json.readTree(api.get("/api/v1/training-jobs/" + jobs.get(r) + "/metrics").body());
                // a rung's job trains only its own epochs, continuing the previous rung's checkpoint
                assertThat(metrics).as(job.toString()).hasSize(1);
                assertThat(metrics.get(0).get("epoch").asInt()).isEqualTo(r + 1);
                if (r > 0) {
                    assertThat(job.get("continues").asString()).isEqualTo(jobs.get(r - 1));
                }
                if (r < 2) {
                    assertThat(job.get("stopAfterEpoch").asInt()).isEqualTo(r + 1);
                    double score = metrics.get(0).get("validationRobustAccuracy").asDouble();
                    boolean went = r < rung;
                    (went ? lowestKept : highestPruned).merge(r, score, went ? Math::min : Math::max);
                }
                // the schedule keeps its full length: epoch 3 runs at a tenth of the learning rate
                assertThat(metrics.get(0).get("learningRate").asDouble()).isCloseTo(r < 2 ? 0.05 : 0.005, within(1e-6));
            }
            if (m.get("state").asString().equals("PRUNED")) {
                assertThat(m.get("reason").asString()).contains("pruned at rung " + rung).contains("of " + (rung == 0 ? 4 : 2));
            } else {
                assertThat(m.get("state").asString()).isEqualTo("DONE");
                assertThat(rung).isEqualTo(2);
            }
        }
        assertThat(lowestKept.get(0)).isGreaterThanOrEqualTo(highestPruned.get(0));
        assertThat(lowestKept.get(1)).isGreaterThanOrEqualTo(highestPruned.get(1));

        JsonNode rows = json.readTree(api.get("/api/v1/sweeps/" + id + "/results").body());
        assertThat(rows).hasSize(2);
        HttpResponse<String> page = http.send(api.request("/api/v1/sweeps/" + id + "/report.html").header("Accept", "text/html").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(page.body().split("<li>", -1)).hasSize(4);
        assertThat(page.body()).contains("pruned at rung 0").contains("pruned at rung 1");
    }

    /** mean and sample standard deviation, as the sweep computed them, against the values worked out here */
    private static void check(JsonNode stat, List<Double> values) {
        assertThat(values).hasSize(2);
        double mean = (values.get(0) + values.get(1)) / 2;
        double std = Math.abs(values.get(0) - values.get(1)) / Math.sqrt(2);
        assertThat(stat.get("mean").asDouble()).isCloseTo(mean, within(1e-9));
        assertThat(stat.get("std").asDouble()).isCloseTo(std, within(1e-9));
        assertThat(stat.get("n").asInt()).isEqualTo(2);
    }

    @Test
    void badSweepsAre400sThatNameTheConfigurationAndStoreNothing() throws Exception {
        HttpResponse<String> badLambda = api.post("/api/v1/sweeps", SWEEP.replace("[0.5, 1, 4]", "[0.5, -1]"));
        assertThat(badLambda.statusCode()).as(badLambda.body()).isEqualTo(400);
        assertThat(badLambda.body()).contains("lambda=-1");
        HttpResponse<String> typo = api.post("/api/v1/sweeps", SWEEP.replace("\"lambda\": [0.5, 1, 4]", "\"lamda\": [0.5]"));
        assertThat(typo.statusCode()).as(typo.body()).isEqualTo(400);
        assertThat(typo.body()).contains("lamda");
        HttpResponse<String> huge = api.post("/api/v1/sweeps", SWEEP.replace("\"seed\": [1, 2]",
                "\"seed\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20], \"batchSize\": [32, 64]"));
        assertThat(huge.statusCode()).as(huge.body()).isEqualTo(400);
        assertThat(huge.body()).contains("at most 200");
        HttpResponse<String> withModel = api.post("/api/v1/sweeps", SWEEP.replace("\"testSubset\": 100",
                "\"modelId\": \"00000000-0000-0000-0000-000000000000\", \"testSubset\": 100"));
        assertThat(withModel.statusCode()).isEqualTo(400);
        HttpResponse<String> badRungs = api.post("/api/v1/sweeps", HALVING.replace("[1, 2]", "[2, 1]"));
        assertThat(badRungs.statusCode()).as(badRungs.body()).isEqualTo(400);
        assertThat(badRungs.body()).contains("halving.rungs must increase");
        HttpResponse<String> lateRung = api.post("/api/v1/sweeps", HALVING.replace("[1, 2]", "[1, 3]"));
        assertThat(lateRung.statusCode()).as(lateRung.body()).isEqualTo(400);
        assertThat(lateRung.body()).contains("below the configurations' epochs (3)");
        HttpResponse<String> gridHalving = api.post("/api/v1/sweeps", HALVING.replace("\"asha\"", "\"grid\""));
        assertThat(gridHalving.statusCode()).as(gridHalving.body()).isEqualTo(400);
        assertThat(gridHalving.body()).contains("halving is for strategy asha");
        HttpResponse<String> noRoom = api.post("/api/v1/sweeps", HALVING.replace("\"epochs\": 3", "\"epochs\": 2")
                .replace(", \"halving\": {\"rungs\": [1, 2], \"reductionFactor\": 2}", ""));
        assertThat(noRoom.statusCode()).as(noRoom.body()).isEqualTo(400);
        assertThat(noRoom.body()).contains("no rung below the last epoch");
        JsonNode list = json.readTree(api.get("/api/v1/sweeps").body());
        assertThat(list.get("content").toString()).doesNotContain("lamda");

        // cancelled at once: nothing more is submitted, and it ends CANCELLED
        HttpResponse<String> created = api.post("/api/v1/sweeps", SWEEP);
        String id = json.readTree(created.body()).get("id").asString();
        HttpResponse<String> cancelled = api.post("/api/v1/sweeps/" + id + "/cancel", "");
        assertThat(cancelled.statusCode()).isEqualTo(202);
        JsonNode end = api.waitFor("/api/v1/sweeps/" + id, s -> s.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"),
                Duration.ofMinutes(5));
        assertThat(end.get("state").asString()).isEqualTo("CANCELLED");
        for (JsonNode m : end.get("members")) {
            assertThat(m.get("state").asString()).isIn("CANCELLED", "DONE");
        }
        assertThat(api.post("/api/v1/sweeps/" + id + "/cancel", "").statusCode()).isEqualTo(409);
    }
}
