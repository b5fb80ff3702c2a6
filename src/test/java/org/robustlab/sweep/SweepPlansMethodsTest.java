package org.robustlab.sweep;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.TrainingPlans;
import org.robustlab.ml.training.TrainingMethod;
import tools.jackson.databind.json.JsonMapper;

/** A sweep's grid reaches the newer methods' parameters: AWP's gamma and warm-up, GradAlign's lambda, N-FGSM's noise. */
class SweepPlansMethodsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static List<TrainingMethod> members(String sweep) {
        return new SweepPlans(JSON).expand(JSON.readValue(sweep, CreateSweepRequest.class)).stream()
                .map(p -> TrainingPlans.from(JSON.treeToValue(p.request(), CreateTrainingJobRequest.class)).method()).toList();
    }

    @Test
    void gridOverAwpGammaAndWarmup() {
        List<TrainingMethod> methods = members("""
                {"base": {"dataset": "fashion-mnist", "method": "pgd-at", "attack": {"epsilon": 0.1, "steps": 3, "stepSize": 0.04}},
                 "grid": {"weightPerturbation.gamma": [0.005, 0.01], "weightPerturbation.warmupEpochs": [0, 2]}}""");
        assertThat(methods).hasSize(4);
        assertThat(methods).extracting(m -> m.weightPerturbation().gamma()).containsExactly(0.005f, 0.005f, 0.01f, 0.01f);
        assertThat(methods).extracting(m -> m.weightPerturbation().warmupEpochs()).containsExactly(0, 2, 0, 2);
    }

    @Test
    void gridOverGradAlignLambdaAndNoiseAcrossMethods() {
        List<TrainingMethod> gradAlign = members("""
                {"base": {"dataset": "fashion-mnist", "method": "fgsm-rs", "attack": {"epsilon": 0.1}},
                 "grid": {"gradAlign.lambda": [0.1, 0.5]}}""");
        assertThat(gradAlign).extracting(TrainingMethod::gradAlign).containsExactly(0.1f, 0.5f);
        List<TrainingMethod> noise = members("""
                {"base": {"dataset": "fashion-mnist", "method": "n-fgsm", "attack": {"epsilon": 0.1}},
                 "grid": {"attack.noise": [0.1, 0.2]}}""");
        assertThat(noise.get(0).weight()).isCloseTo(0.1f, within(1e-6f));
        assertThat(noise.get(1).weight()).isCloseTo(0.2f, within(1e-6f));
    }
}
