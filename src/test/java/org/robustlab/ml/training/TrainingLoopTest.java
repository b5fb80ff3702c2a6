package org.robustlab.ml.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.loss.Divergence;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;
import org.robustlab.testing.SyntheticData;

/** Smoke-size runs of the loop on synthetic 28x28 data: what it writes, determinism and exact resume. */
class TrainingLoopTest {

    private static final ImageDataset DATA = SyntheticData.squares(400, 1, 28, 10, 1);

    private static TrainingPlan plan(TrainingMethod method, int epochs) {
        return TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN, method, epochs, 0.05f, 0.1f, 42)
                .withValidationSize(64).withTrainSubset(192).withBatchSize(32).withValidationPgdSteps(2);
    }

    static TrainingMethod arr() {
        return TrainingMethod.arr(1f, Divergence.KL, AttackSpec.fgsmRandomStart(0.1f));
    }

    @Test
    void everyMethodRunsAndWritesCheckpointsAndMetrics(@TempDir Path dir) throws IOException {
        for (TrainingMethod method : List.of(TrainingMethod.standard(), arr(),
                TrainingMethod.arr(0.5f, Divergence.L2, AttackSpec.pgd(0.1f, 3, 0.04f)),
                TrainingMethod.pgdAt(0.1f, 3, 0.04f), TrainingMethod.trades(6f, 0.1f, 3, 0.04f),
                TrainingMethod.mart(6f, 0.1f, 3, 0.04f), TrainingMethod.fgsmRs(0.1f, 0.125f), TrainingMethod.nFgsm(0.1f, 0.1f, 0.2f))) {
            Path run = dir.resolve(method.method().id() + "-" + method.divergence());
            List<TrainingListener.BatchProgress> batches = new ArrayList<>();
            TrainingResult result = new TrainingLoop(plan(method, 1), run, Device.cpu())
                    .optListener(new TrainingListener() {
                        @Override
                        public void onBatch(BatchProgress p) {
                            batches.add(p);
                        }
                    })
                    .run(DATA);
            assertThat(result.status()).as(method.method().id()).isEqualTo(TrainingResult.Status.COMPLETED);
            assertThat(batches).hasSize(6);
            assertThat(batches.get(5).fraction()).isEqualTo(1.0);
            EpochMetrics m = result.history().get(0);
            assertThat(m.loss()).isFinite().isPositive();
            assertThat(m.validationCleanAccuracy()).isBetween(0.0, 1.0);
            assertThat(m.validationRobustAccuracy()).isBetween(0.0, m.validationCleanAccuracy());
            assertThat(m.imagesPerSecond()).isPositive();
            if (method.method() == Method.ARR || method.method() == Method.TRADES || method.method() == Method.MART) {
                assertThat(m.regularizer()).isPositive();
                assertThat(m.loss()).isCloseTo(m.crossEntropy() + method.weight() * m.regularizer(),
                        Assertions.within(0.05 * m.loss()));
            } else {
                assertThat(m.regularizer()).isZero();
            }
            for (String f : List.of("model-0000.params", "model.safetensors", "optimizer.bin", "state.json")) {
                assertThat(result.lastCheckpoint().resolve(f)).exists();
            }
            assertThat(result.bestCheckpoint().resolve("model.safetensors")).exists();
            assertThat(Safetensors.metadata(result.lastCheckpoint().resolve("model.safetensors")))
                    .containsEntry("method", method.method().id()).containsEntry("architecture", "small-cnn");
        }
    }

    @Test
    void theSameSeedGivesTheSameParameters(@TempDir Path dir) throws IOException {
        TrainingPlan p = plan(arr(), 1);
        TrainingResult a = new TrainingLoop(p, dir.resolve("a"), Device.cpu()).run(DATA);
        TrainingResult b = new TrainingLoop(p, dir.resolve("b"), Device.cpu()).run(DATA);
        assertThat(parameters(b.lastCheckpoint())).isEqualTo(parameters(a.lastCheckpoint()));
        assertThat(b.history().get(0).loss()).isEqualTo(a.history().get(0).loss());
        TrainingResult c = new TrainingLoop(new TrainingPlan(p.dataset(), p.trainSubset(), p.validationSize(), p.architecture(),
                p.method(), p.epochs(), p.batchSize(), p.learningRate(), p.momentum(), p.nesterov(), p.weightDecay(), p.schedule(),
                p.augment(), p.epsilon(), p.validationPgdSteps(), p.collapseDrop(), 43), dir.resolve("c"), Device.cpu()).run(DATA);
        assertThat(parameters(c.lastCheckpoint())).isNotEqualTo(parameters(a.lastCheckpoint()));
    }

    @Test
    void aResumedRunEndsWithTheParametersOfAnUninterruptedOne(@TempDir Path dir) throws IOException {
        TrainingPlan p = plan(TrainingMethod.trades(6f, 0.1f, 2, 0.05f), 3).withSchedule(Schedule.cosine());
        TrainingResult straight = new TrainingLoop(p, dir.resolve("straight"), Device.cpu()).run(DATA);

        Cancellation cancel = new Cancellation();
        TrainingResult stopped = new TrainingLoop(p, dir.resolve("resumed"), Device.cpu())
                .optCancellation(cancel)
                .optListener(new TrainingListener() {
                    @Override
                    public void onEpoch(EpochMetrics m) {
                        if (m.epoch() == 2) {
                            cancel.cancel();
                        }
                    }
                })
                .run(DATA);
        assertThat(stopped.status()).isEqualTo(TrainingResult.Status.CANCELLED);
        assertThat(stopped.history()).hasSize(2);
        TrainingResult resumed = new TrainingLoop(p, dir.resolve("resumed"), Device.cpu()).run(DATA);
        assertThat(resumed.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        assertThat(resumed.history()).hasSize(3);
        assertThat(parameters(resumed.lastCheckpoint())).isEqualTo(parameters(straight.lastCheckpoint()));
        assertThat(resumed.history().get(2).loss()).isEqualTo(straight.history().get(2).loss());
    }

    @Test
    void divergenceStopsWithAReason(@TempDir Path dir) throws IOException {
        TrainingPlan p = plan(TrainingMethod.standard(), 2);
        TrainingPlan huge = new TrainingPlan(p.dataset(), p.trainSubset(), p.validationSize(), p.architecture(), p.method(), 2,
                p.batchSize(), 1e6f, 0.9f, false, 0f, Schedule.constant(), false, p.epsilon(), 2, 0.2f, 1);
        TrainingResult result = new TrainingLoop(huge, dir, Device.cpu()).run(DATA);
        assertThat(result.status()).isEqualTo(TrainingResult.Status.DIVERGED);
        assertThat(result.reason()).contains("diverged").contains("learning rate");
    }

    private static List<List<Float>> parameters(Path checkpoint) throws IOException {
        return flatten(Safetensors.read(checkpoint.resolve("model.safetensors")));
    }

    @Test
    void checkpointLoadsBackIntoAFreshModel(@TempDir Path dir) throws IOException {
        TrainingResult r = new TrainingLoop(plan(arr(), 1), dir, Device.cpu()).run(DATA);
        try (NDManager manager = NDManager.newBaseManager();
                Model model = Models.create(ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST), manager)) {
            Safetensors.load(model.getBlock(), r.lastCheckpoint().resolve("model.safetensors"));
            Path again = dir.resolve("again.safetensors");
            Safetensors.write(model.getBlock(), again, Map.of(), 0);
            assertThat(Files.size(again)).isPositive();
            assertThat(flatten(Safetensors.read(again))).isEqualTo(flatten(Safetensors.read(r.lastCheckpoint().resolve("model.safetensors"))));
        }
    }

    private static List<List<Float>> flatten(Map<String, Safetensors.Tensor> tensors) {
        List<List<Float>> out = new ArrayList<>();
        tensors.forEach((k, v) -> {
            if (v.dtype().equals("F32")) {
                List<Float> l = new ArrayList<>();
                for (float f : v.floats()) {
                    l.add(f);
                }
                out.add(l);
            }
        });
        return out;
    }
}
