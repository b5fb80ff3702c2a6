package org.robustlab.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.ml.training.TrainingResult;
import tools.jackson.databind.json.JsonMapper;

/**
 * A short job with the defaults learns. Before this, the default multistep schedule of a 1-epoch job put
 * both milestones at epoch 0, so the learning rate was cut 100-fold from the first batch, and SmallCNN's
 * PyTorch-default initialisation kept it on its loss plateau for its first few dozen steps: the README's
 * 1-epoch example stayed at chance (clean 0.13; 0.101 here). Measured 2026-11-26 with the fractional
 * milestones and the TRADES initialisation: validation clean 0.535, PGD-10 0.291 (seed 7). That is 24 steps
 * of batch 128; PyTorch eager on the same setup (bench/torch_train.py, constant rate) gets 0.48 to 0.53 over
 * seeds 1 to 3, so the 0.65 once hoped for after one such epoch is not reached by either. Real data
 * (Fashion-MNIST), about 15 s on 2 cores.
 */
class ShortRunTest {

    @Test
    void aOneEpochJobOfThreeThousandImagesLearns(@TempDir Path dir) throws IOException {
        CreateTrainingJobRequest request = JsonMapper.builder().build().readValue("""
                {"dataset": "fashion-mnist", "trainSubset": 3000, "epochs": 1, "seed": 7}""", CreateTrainingJobRequest.class);
        TrainingPlan plan = TrainingPlans.from(request);
        TrainingResult result = new TrainingLoop(plan, dir, Device.cpu())
                .run(new DatasetLocator(dir.resolve("datasets"), false).load(DatasetId.FASHION_MNIST, true));
        assertThat(result.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        double clean = result.history().get(0).validationCleanAccuracy();
        System.out.println("1-epoch default job on 3,000 images: " + result.history().get(0));
        assertThat(clean).as("validation clean accuracy after 1 epoch (chance: 0.1)").isGreaterThanOrEqualTo(0.4);
    }
}
