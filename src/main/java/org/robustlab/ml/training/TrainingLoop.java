package org.robustlab.ml.training;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.BatchLoader;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.evaluation.RobustnessEvaluator;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;

/**
 * The one training loop of every method: same data order, same optimiser, same validation, so that
 * comparisons are fair.
 *
 * <p>Per batch: craft x_adv with the method's inner attack (its own gradient collector, closed
 * before the update's; parameter gradients off), then one collector for the update, with every
 * forward in training mode (for ARR and TRADES f(x) and f(x_adv) are two passes, and both update
 * BatchNorm's running statistics), then SGD. Each batch's arrays live in a sub-manager closed at the
 * end of the batch. Per epoch: clean and PGD accuracy on the validation split, the last checkpoint,
 * and the best-robust checkpoint when validation PGD accuracy improved.
 *
 * <p>Randomness is reseeded at the start of every epoch from (seed, epoch): a run resumed from the
 * checkpoint of epoch k draws exactly what the uninterrupted run drew (on CPU).
 */
public final class TrainingLoop {

    public static final String LAST = "last";
    public static final String BEST = "best";

    private final TrainingPlan plan;
    private final Path runDir;
    private final Device device;
    private TrainingListener listener = TrainingListener.NONE;
    private Cancellation cancellation = new Cancellation();
    private int stopAfter;

    /**
     * @param runDir where checkpoints go ({@code last/} and {@code best/}); an existing {@code last/} is resumed from
     * @param device the device to train on
     */
    public TrainingLoop(TrainingPlan plan, Path runDir, Device device) {
        this.plan = plan;
        this.runDir = runDir;
        this.device = device;
    }

    public TrainingLoop optListener(TrainingListener listener) {
        this.listener = listener;
        return this;
    }

    public TrainingLoop optCancellation(Cancellation cancellation) {
        this.cancellation = cancellation;
        return this;
    }

    /**
     * Ends the run after {@code epochs} epochs (counted from the first, resumed ones included) while the learning-rate
     * and weight schedules stay those of the plan's full length: a rung of successive halving, which a later run
     * with the same plan continues from the {@code last/} checkpoint. 0 (the default): the plan's epochs.
     */
    public TrainingLoop optStopAfter(int epochs) {
        this.stopAfter = epochs;
        return this;
    }

    /** Trains on {@code trainSet} (the dataset's training part; validation is split off it). */
    public TrainingResult run(ImageDataset trainSet) throws IOException {
        ImageDataset.Split split = trainSet.split(plan.validationSize(), plan.seed());
        ImageDataset train = plan.trainSubset() > 0 ? split.train().sample(plan.trainSubset(), plan.seed()) : split.train();
        ImageDataset validation = split.validation();
        ModelSpec spec = ModelSpec.of(plan.architecture(), plan.dataset());
        Files.createDirectories(runDir);
        try (NDManager manager = NDManager.newBaseManager(device)) {
            Engine.getInstance().setRandomSeed(seedFor(-1));
            try (Model model = Models.create(spec, manager)) {
                return train(model, manager, train, validation);
            }
        }
    }

    private TrainingResult train(Model model, NDManager manager, ImageDataset train, ImageDataset validation) throws IOException {
        Block block = model.getBlock();
        Path lastDir = runDir.resolve(LAST);
        Path bestDir = runDir.resolve(BEST);
        Checkpoints.State state = new Checkpoints.State(0, 0, plan.seed(), -1, 0, List.of());
        Path existing = Checkpoints.existing(lastDir);
        if (existing != null) {
            state = Checkpoints.readState(existing);
            Checkpoints.restoreParameters(existing, model);
        }
        List<NDArray> params = Models.trainableArrays(block);
        Sgd sgd = new Sgd(params, plan.momentum(), plan.nesterov(), plan.weightDecay(), model.getNDManager());
        if (existing != null) {
            Checkpoints.restoreOptimizer(existing, sgd);
        }
        sgd.zeroGradients();
        List<EpochMetrics> history = new ArrayList<>(state.history());
        long steps = state.steps();
        double bestRobust = state.bestRobustAccuracy();
        int bestEpoch = state.bestEpoch();
        BatchLoader loader = new BatchLoader(train, plan.batchSize(), true, plan.augment(), plan.seed());
        int batches = loader.batchesPerEpoch();
        TrainingStep step = new TrainingStep(plan.method());
        AttackSpec validationAttack = AttackSpec.pgd(plan.epsilon(), plan.validationPgdSteps(), plan.epsilon() / 4f);

        int end = stopAfter > 0 ? Math.min(stopAfter, plan.epochs()) : plan.epochs();
        for (int epoch = state.epochsCompleted(); epoch < end; epoch++) {
            long epochStart = System.nanoTime();
            Engine.getInstance().setRandomSeed(seedFor(epoch));
            double lossSum = 0;
            double ceSum = 0;
            double regSum = 0;
            long correct = 0;
            long seen = 0;
            float lr = 0;
            float weight = 0;
            for (int b = 0; b < batches; b++) {
                if (cancellation.isCancelled()) {
                    return result(TrainingResult.Status.CANCELLED, "cancelled during epoch " + (epoch + 1)
                            + (epoch == 0 ? "; no epoch had finished, so there is no checkpoint"
                                    : "; the last checkpoint is from epoch " + epoch), history, bestEpoch);
                }
                double t = epoch + (double) b / batches;
                lr = plan.schedule().at(plan.learningRate(), t, plan.epochs());
                weight = plan.method().weightAt(t);
                TrainingStep.StepLosses out;
                try (NDManager s = manager.newSubManager()) {
                    BatchLoader.Batch batch = loader.batch(s, epoch, b);
                    // The update is queued before the step's figures are read, so the device never waits on the host;
                    // a diverged step's update is harmless, since the run then stops and keeps its last checkpoint.
                    NDArray figures = step.forwardBackward(block, batch.x(), batch.y(), weight, plan.method().perturbsWeightsAt(epoch), s);
                    sgd.step(lr);
                    step.restoreWeights();
                    out = TrainingStep.read(figures);
                    if (!Float.isFinite(out.loss())) {
                        return result(TrainingResult.Status.DIVERGED, String.format(Locale.ROOT,
                                "training diverged: the loss is %s at epoch %d, batch %d (learning rate %.4g); "
                                        + "lower the learning rate or lambda", out.loss(), epoch + 1, b + 1, lr),
                                history, bestEpoch);
                    }
                    steps++;
                    int n = batch.size();
                    lossSum += (double) out.loss() * n;
                    ceSum += (double) out.crossEntropy() * n;
                    regSum += (double) out.regularizer() * n;
                    correct += out.correct();
                    seen += n;
                }
                listener.onBatch(new TrainingListener.BatchProgress(epoch + 1, end, b + 1, batches, out.loss(), lr));
            }
            double trainSeconds = (System.nanoTime() - epochStart) / 1e9;

            Engine.getInstance().setRandomSeed(seedFor(epoch) + 1);
            RobustnessReport val = new RobustnessEvaluator(Math.max(plan.batchSize(), 128), plan.seed()).optAutoAttackChecks(false)
                    .evaluate(block, manager, validation, List.of(validationAttack), "validation");
            double robust = val.results().get(0).robustAccuracy();
            boolean improved = robust > bestRobust;
            double seconds = (System.nanoTime() - epochStart) / 1e9;
            EpochMetrics m = new EpochMetrics(epoch + 1, lossSum / seen, ceSum / seen, regSum / seen, (double) correct / seen,
                    val.cleanAccuracy(), robust, lr, weight, trainSeconds, seconds, seen / trainSeconds);
            history.add(m);
            if (improved) {
                bestRobust = robust;
                bestEpoch = epoch + 1;
            }
            Checkpoints.State next = new Checkpoints.State(epoch + 1, steps, plan.seed(), bestRobust, bestEpoch, List.copyOf(history));
            if (improved) {
                Checkpoints.write(bestDir, model, null, next, metadata(epoch + 1, "best-robust"));
                listener.onCheckpoint(bestDir, epoch + 1, true);
            }
            Checkpoints.write(lastDir, model, sgd, next, metadata(epoch + 1, "last"));
            listener.onCheckpoint(lastDir, epoch + 1, false);
            listener.onEpoch(m);
            if (collapsed(bestRobust, robust, plan.collapseDrop())) {
                return result(TrainingResult.Status.CATASTROPHIC_OVERFITTING, String.format(Locale.ROOT,
                        "catastrophic overfitting: validation PGD-%d accuracy fell from %.3f (epoch %d) to %.3f at epoch %d "
                                + "(clean %.3f); the best-robust checkpoint is kept", plan.validationPgdSteps(), bestRobust,
                        bestEpoch, robust, epoch + 1, val.cleanAccuracy()), history, bestEpoch);
            }
        }
        return result(TrainingResult.Status.COMPLETED, null, history, bestEpoch);
    }

    /**
     * Catastrophic overfitting (Wong et al., 2020): validation PGD accuracy falls by more than
     * {@code drop} below the best seen so far within the run. {@code drop = 0} switches the check off.
     */
    static boolean collapsed(double bestRobust, double robust, float drop) {
        return drop > 0 && bestRobust - robust > drop;
    }

    private TrainingResult result(TrainingResult.Status status, String reason, List<EpochMetrics> history, int bestEpoch) {
        Path last = Checkpoints.existing(runDir.resolve(LAST));
        Path best = Checkpoints.existing(runDir.resolve(BEST));
        return new TrainingResult(status, reason, List.copyOf(history), last, best, bestEpoch);
    }

    private Map<String, String> metadata(int epoch, String kind) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("architecture", plan.architecture().id());
        m.put("dataset", plan.dataset().id());
        m.put("method", plan.method().method().id());
        m.put("epoch", Integer.toString(epoch));
        m.put("checkpoint", kind);
        m.put("seed", Long.toString(plan.seed()));
        return m;
    }

    private int seedFor(int epoch) {
        long z = plan.seed() * 0x9E3779B97F4A7C15L + (epoch + 2) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 31)) * 0x94D049BB133111EBL;
        return (int) ((z ^ (z >>> 29)) & 0x7fffffff);
    }
}
