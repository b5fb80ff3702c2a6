package org.robustlab.runner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.robustlab.evaluation.CreateEvaluationRequest;
import org.robustlab.evaluation.EvaluationPlans;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.TrainingPlans;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.worker.WorkerJson;
import org.robustlab.worker.WorkerMain;
import org.robustlab.worker.WorkerTask;

/**
 * Writes the two task files the GPU script (scripts/gpu/run.sh) hands to {@link WorkerMain}, made the
 * way the service makes them: a request record turned into a plan by the service's own code
 * ({@link TrainingPlans}, {@link EvaluationPlans}), then written as {@link WorkerTask} JSON. Paths are
 * relative to the repository's root, where the script runs.
 *
 * <p>{@code GpuTaskFiles OUT_DIR TRAIN_IMAGES EPOCHS TEST_POINTS ARCHITECTURE}
 */
public final class GpuTaskFiles {

    private GpuTaskFiles() {}

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        int trainImages = Integer.parseInt(args[1]);
        int epochs = Integer.parseInt(args[2]);
        int testPoints = Integer.parseInt(args[3]);
        String architecture = args.length > 4 ? args[4] : "resnet18";
        Files.createDirectories(out);
        String work = "gpu-run/work";
        // the README's ARR request, on ResNet-18: KL, FGSM with a random start, lambda 1, epsilon 0.1, SGD 0.05
        CreateTrainingJobRequest request = new CreateTrainingJobRequest("arr-" + architecture + "-gpu", "fashion-mnist", trainImages,
                architecture, "arr", 1.0, "kl", null, null, new CreateTrainingJobRequest.AttackRequest("fgsm", 0.1, null, null, null, null),
                epochs, 128, new CreateTrainingJobRequest.OptimizerRequest("sgd", 0.05, 0.9, 5e-4, false),
                new CreateTrainingJobRequest.ScheduleRequest("constant", null, null), null, null, null, 1L, null, "gpu");
        TrainingPlan plan = TrainingPlans.from(request);
        Files.writeString(out.resolve("train.json"), WorkerJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(new WorkerTask("train", plan, work + "/train", "gpu-run/data",
                false, "gpu0", null)));
        CreateEvaluationRequest evaluation = new CreateEvaluationRequest(null, null, null, testPoints, List.of(
                new CreateEvaluationRequest.AttackRequest("pgd", 0.1, 20, null, null, null, null, null, null, null, null, null),
                new CreateEvaluationRequest.AttackRequest("ensemble", 0.1, 100, null, null, null, 9, 5000, null, null, null, null)),
                null, 0L, null, "gpu");
        WorkerTask.EvaluationTask task = new WorkerTask.EvaluationTask(architecture, "fashion-mnist", work + "/train/last",
                "ARR " + architecture + ", last checkpoint", EvaluationPlans.attacks(evaluation), testPoints, 0L,
                work + "/eval/report.json", Map.of(), null, work + "/eval/plots");
        Files.writeString(out.resolve("eval.json"), WorkerJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(new WorkerTask("evaluate", null, work + "/eval", "gpu-run/data",
                false, "gpu0", task)));
        System.out.println("task files in " + out + ": train.json (" + plan.method().method().id() + ", " + trainImages + " images, "
                + epochs + " epochs), eval.json (PGD-20 and the ensemble on " + testPoints + " test points)");
    }
}
