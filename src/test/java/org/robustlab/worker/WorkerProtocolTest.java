package org.robustlab.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.robustlab.evaluation.CreateEvaluationRequest;
import org.robustlab.evaluation.EvaluationPlan;
import org.robustlab.evaluation.EvaluationPlans;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.TrainingJobPlan;
import org.robustlab.job.TrainingPlans;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.ml.training.TrainingPlan;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * What crosses the process boundary and the database survives the trip whole: task files, every event (a NaN loss
 * included), and the stored plans, read back by mappers as strict as the service's (unknown fields are errors).
 */
class WorkerProtocolTest {

    /** As strict as the service's mapper (application.yml): unknown fields and nulls for primitives are errors. */
    private final JsonMapper service = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    private static TrainingPlan trainingPlan() {
        return TrainingPlans.from(new CreateTrainingJobRequest("t", "fashion-mnist", 512, "small-cnn", "trades", null, null, 6.0, 2,
                new CreateTrainingJobRequest.AttackRequest("pgd", 0.1, 5, 0.02, true, false), 3, 64,
                new CreateTrainingJobRequest.OptimizerRequest("sgd", 0.05, 0.9, 5e-4, true),
                new CreateTrainingJobRequest.ScheduleRequest("multistep", List.of(1, 2), 0.5), null, true, null, 7L, null, "cpu"));
    }

    private static CreateEvaluationRequest evaluationRequest() {
        return new CreateEvaluationRequest(UUID.randomUUID(), null, null, 100, List.of(
                new CreateEvaluationRequest.AttackRequest("pgd", 0.1, 20, null, 2, "cw", null, null, null, null, null, null),
                new CreateEvaluationRequest.AttackRequest("ensemble", 0.1, 50, null, null, null, 3, 300, null, null, null, null),
                new CreateEvaluationRequest.AttackRequest("transfer", 0.1, null, null, null, null, null, null, UUID.randomUUID(), null, null, null)),
                List.of(0.05, 0.1), 3L, null, "auto");
    }

    @Test
    void taskFilesRoundTrip() {
        WorkerTask train = new WorkerTask("train", trainingPlan(), "runs/jobs/x", "data", false, "cpu", null, 6, 2);
        assertThat(WorkerJson.MAPPER.readValue(WorkerJson.MAPPER.writeValueAsString(train), WorkerTask.class)).isEqualTo(train);
        WorkerTask.EvaluationTask e = new WorkerTask.EvaluationTask("small-cnn", "fashion-mnist", "runs/m", "model m",
                EvaluationPlans.attacks(evaluationRequest()), 100, 3L, "runs/e/report.json",
                Map.of("s", new WorkerTask.Surrogate("resnet18", "runs/s")), new Diagnostics.Plan(50, 0.1f, 100, 3L, 4), "runs/e/plots");
        WorkerTask evaluate = new WorkerTask("evaluate", null, "runs/e", "data", true, "gpu0", e, 6, 0);
        String text = WorkerJson.MAPPER.writeValueAsString(evaluate);
        assertThat(WorkerJson.MAPPER.readValue(text, WorkerTask.class)).isEqualTo(evaluate);
        // the ML core's JSON names of its enums (Gson's @SerializedName), as reports have always shown them
        assertThat(text).contains("\"type\":\"pgd\"", "\"norm\":\"linf\"", "\"objective\":\"cw\"", "\"type\":\"ensemble\"")
                .doesNotContain("\"LINF\"");
        assertThat(WorkerJson.MAPPER.readValue(text.replace("\"linf\"", "\"LINF\""), WorkerTask.class)).isEqualTo(evaluate);
    }

    @Test
    void everyEventRoundTripsThroughItsLineAndOtherLinesAreLog() {
        EpochMetrics diverged = new EpochMetrics(3, Double.NaN, Double.POSITIVE_INFINITY, 0.5, 0.4, 0.3, 0.2, 0.01, 1, 2, 3, 400);
        List<WorkerEvent> events = List.of(new WorkerEvent.Started("cpu()", 42, "2.7.1 (cpu) from x", 0),
                new WorkerEvent.Batch(1, 3, 5, 10, 0.7, 0.05), new WorkerEvent.Epoch(diverged),
                new WorkerEvent.Checkpoint("runs/jobs/x/last", 1, false), new WorkerEvent.Progress(3, 9),
                new WorkerEvent.Finished("STOPPED", "collapse", "CATASTROPHIC_OVERFITTING", 2), WorkerEvent.Finished.of("SUCCEEDED", null));
        for (WorkerEvent event : events) {
            String line = WorkerJson.line(event);
            assertThat(line).startsWith(WorkerJson.PREFIX).doesNotContain("\n");
            assertThat(WorkerJson.event(line)).as(line).contains(event);
        }
        assertThat(WorkerJson.line(events.get(1))).contains("\"type\":\"batch\"");
        assertThat(WorkerJson.event("INFO training started")).isEmpty();
        assertThat(WorkerJson.event(WorkerJson.PREFIX + "{\"type\":\"unheard-of\"}")).isEmpty();
    }

    @Test
    void reportsLoseTheirNonFiniteNumbers() {
        var tree = WorkerJson.finite(Map.of("a", Double.NaN, "b", List.of(1.5, Double.NEGATIVE_INFINITY), "c", "NaN"));
        assertThat(tree.get("a").isNull()).isTrue();
        assertThat(tree.get("b").get(0).asDouble()).isEqualTo(1.5);
        assertThat(tree.get("b").get(1).isNull()).isTrue();
        assertThat(tree.get("c").asString()).isEqualTo("NaN");
    }

    @Test
    void storedPlansRoundTripThroughTheServicesMapper() {
        TrainingJobPlan training = new TrainingJobPlan(trainingPlan(), "gpu");
        assertThat(service.readValue(service.writeValueAsString(training), TrainingJobPlan.class)).isEqualTo(training);
        EvaluationPlan evaluation = new EvaluationPlan(UUID.randomUUID(), EvaluationPlans.attacks(evaluationRequest()), 100, 3L,
                new Diagnostics.Plan(200, 0.1f, 1000, 0L, 8), List.of(UUID.randomUUID()), null);
        assertThat(service.readValue(service.writeValueAsString(evaluation), EvaluationPlan.class)).isEqualTo(evaluation);
    }
}
