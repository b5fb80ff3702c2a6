package org.robustlab.worker;

import java.util.List;
import java.util.Map;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.training.TrainingPlan;

/**
 * What a worker process is asked to do, written as JSON to its folder before it starts.
 *
 * @param kind "train", "evaluate", or "inspect" (check a lab's model before it is stored: {@link EvaluationTask} names
 *     it, its {@code testSubset} the points checked, and the result goes to its {@code reportFile})
 * @param plan the training plan (train)
 * @param runDir the job's folder; training checkpoints go to runDir/last and runDir/best
 * @param dataDir the configured dataset folder
 * @param downloadDatasets whether missing datasets may be downloaded
 * @param device "cpu" or "gpu0", "gpu1", ...
 * @param evaluation what to evaluate (evaluate)
 * @param leaseSeconds the worker stops by itself when its service has not been heard from for this long (the
 *     service sends a line every second): a paused or cut-off instance's worker is gone before another instance
 *     takes the job over; 0: no lease
 * @param stopAfterEpochs training ends after this many epochs while the plan's schedules keep their full length (a
 *     rung of successive halving); 0: the plan's epochs
 */
public record WorkerTask(String kind, TrainingPlan plan, String runDir, String dataDir, boolean downloadDatasets,
        String device, EvaluationTask evaluation, int leaseSeconds, int stopAfterEpochs) {

    public WorkerTask(String kind, TrainingPlan plan, String runDir, String dataDir, boolean downloadDatasets, String device,
            EvaluationTask evaluation) {
        this(kind, plan, runDir, dataDir, downloadDatasets, device, evaluation, 0, 0);
    }

    /** Whether this worker runs a lab's own model (TorchScript), whose convolutions may have any shape. */
    public boolean ownModel() {
        return evaluation != null && (TORCHSCRIPT.equals(evaluation.architecture()) || evaluation.surrogates() != null
                && evaluation.surrogates().values().stream().anyMatch(s -> TORCHSCRIPT.equals(s.architecture())));
    }

    /** The architecture id of a lab's own model in TorchScript. */
    public static final String TORCHSCRIPT = "torchscript";

    /**
     * @param architecture the model's architecture id, or {@value #TORCHSCRIPT}
     * @param dataset the dataset id
     * @param parametersFile the DJL parameter folder (checkpoint folder) to load; for TorchScript the archive
     * @param checkpoint a label for the report ("job ... / best-robust, epoch 7")
     * @param attacks the attacks, each at its epsilon
     * @param testSubset how many test points (first N of the test set)
     * @param seed seed of the random starts
     * @param reportFile where the JSON report goes
     * @param surrogates the models transfer attacks are made on, by the key their attacks name
     * @param diagnostics masking checks, feature analysis and pictures; null to skip them
     * @param plotsDir where the pictures go, as {@code <name>.png}
     * @param numClasses the classes a TorchScript model's logits have (0 for a built-in architecture)
     * @param mean per-channel mean a TorchScript model's inputs are normalised with in front of it, or null
     * @param std per-channel standard deviation to go with {@code mean}, or null
     */
    public record EvaluationTask(String architecture, String dataset, String parametersFile, String checkpoint,
            List<AttackSpec> attacks, int testSubset, long seed, String reportFile, Map<String, Surrogate> surrogates,
            Diagnostics.Plan diagnostics, String plotsDir, int numClasses, float[] mean, float[] std) {

        /** A built-in architecture's evaluation. */
        public EvaluationTask(String architecture, String dataset, String parametersFile, String checkpoint,
                List<AttackSpec> attacks, int testSubset, long seed, String reportFile, Map<String, Surrogate> surrogates,
                Diagnostics.Plan diagnostics, String plotsDir) {
            this(architecture, dataset, parametersFile, checkpoint, attacks, testSubset, seed, reportFile, surrogates, diagnostics,
                    plotsDir, 0, null, null);
        }
    }

    /**
     * A surrogate model: its architecture and DJL parameter folder, or {@value #TORCHSCRIPT} and its archive with its
     * normalisation (or none).
     */
    public record Surrogate(String architecture, String parametersFile, float[] mean, float[] std) {

        /** A built-in architecture's surrogate. */
        public Surrogate(String architecture, String parametersFile) {
            this(architecture, parametersFile, null, null);
        }
    }
}
