package org.robustlab.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;
import org.robustlab.ml.training.Method;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.problem.InvalidRequestException;
import tools.jackson.databind.json.JsonMapper;

/** The requests of MART, fast AT (fgsm-rs), N-FGSM, AWP and GradAlign: their defaults, and a named field for each bad combination. */
class TrainingPlansTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static TrainingMethod method(String body) {
        return TrainingPlans.from(JSON.readValue(body, CreateTrainingJobRequest.class)).method();
    }

    private static void refused(String body, String field, String says) {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> method(body));
        assertThat(e).as(body).isNotNull();
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.getMessage()).contains(says);
    }

    @Test
    void defaultsFollowTheReferenceCode() {
        TrainingMethod nFgsm = method("""
                {"dataset": "fashion-mnist", "method": "n-fgsm", "attack": {"epsilon": 0.1}}""");
        assertThat(nFgsm.method()).isEqualTo(Method.N_FGSM);
        assertThat(nFgsm.weight()).as("noise, default 2 epsilon").isCloseTo(0.2f, within(1e-6f));
        assertThat(nFgsm.attack().stepSize()).as("alpha, default epsilon").isCloseTo(0.1f, within(1e-6f));
        assertThat(nFgsm.attack().randomStart()).isFalse();
        assertThat(nFgsm.attack().trainingMode()).isTrue();
        assertThat(method("""
                {"dataset": "fashion-mnist", "method": "n-fgsm", "attack": {"epsilon": 0.1, "noise": 0.05}}""").weight()).isEqualTo(0.05f);
        TrainingMethod fast = method("""
                {"dataset": "fashion-mnist", "method": "fgsm-rs", "attack": {"epsilon": 0.1}}""");
        assertThat(fast.method()).isEqualTo(Method.FGSM_RS);
        assertThat(fast.attack().stepSize()).as("alpha, default 1.25 epsilon").isCloseTo(0.125f, within(1e-6f));
        assertThat(fast.attack().randomStart()).isTrue();
        assertThat(fast.attack().steps()).isEqualTo(1);
        TrainingMethod mart = method("""
                {"dataset": "fashion-mnist", "method": "mart", "beta": 5}""");
        assertThat(mart.method()).isEqualTo(Method.MART);
        assertThat(mart.weight()).isEqualTo(5f);
        assertThat(mart.attack().steps()).isEqualTo(10);
        assertThat(mart.attack().trainingMode()).isFalse();
        assertThat(method("""
                {"dataset": "fashion-mnist", "method": "mart"}""").weight()).isEqualTo(6f);
        TrainingMethod awp = method("""
                {"dataset": "fashion-mnist", "method": "trades", "weightPerturbation": {"gamma": 0.005, "warmupEpochs": 2}}""");
        assertThat(awp.weightPerturbation()).isEqualTo(new TrainingMethod.WeightPerturbation(0.005f, 2));
        assertThat(awp.perturbsWeightsAt(1)).as("epoch 2 (index 1) is still warm-up").isFalse();
        assertThat(awp.perturbsWeightsAt(2)).isTrue();
        assertThat(method("""
                {"dataset": "fashion-mnist", "method": "pgd-at", "weightPerturbation": {}}""").weightPerturbation())
                .as("the PGD-AT reference's gamma, no warm-up").isEqualTo(new TrainingMethod.WeightPerturbation(0.01f, 0));
        assertThat(method("""
                {"dataset": "fashion-mnist", "method": "pgd-at"}""").weightPerturbation()).isNull();
        TrainingMethod align = method("""
                {"dataset": "fashion-mnist", "method": "fgsm-rs", "gradAlign": {"lambda": 0.2}}""");
        assertThat(align.gradAlign()).isEqualTo(0.2f);
        assertThat(align.method()).isEqualTo(Method.FGSM_RS);
        assertThat(method("""
                {"dataset": "fashion-mnist", "method": "fgsm-rs"}""").gradAlign()).isZero();
    }

    @Test
    void aParameterThatDoesNotFitTheMethodIsNamed() {
        refused("""
                {"dataset": "fashion-mnist", "method": "pgd-at", "attack": {"noise": 0.2}}""", "attack.noise", "N-FGSM's");
        refused("""
                {"dataset": "fashion-mnist", "method": "fgsm-rs", "attack": {"type": "pgd"}}""", "attack.type", "one FGSM step");
        refused("""
                {"dataset": "fashion-mnist", "method": "n-fgsm", "attack": {"type": "pgd"}}""", "attack.type", "one FGSM step");
        refused("""
                {"dataset": "fashion-mnist", "method": "fgsm-rs", "attack": {"randomStart": false}}""", "attack.randomStart", "random point");
        refused("""
                {"dataset": "fashion-mnist", "method": "n-fgsm", "attack": {"randomStart": true}}""", "attack.randomStart", "noise");
        refused("""
                {"dataset": "fashion-mnist", "method": "mart", "attack": {"type": "fgsm"}}""", "attack.type", "PGD inner attack");
        refused("""
                {"dataset": "fashion-mnist", "method": "fgsm-rs", "weightPerturbation": {"gamma": 0.01}}""", "weightPerturbation",
                "arr, pgd-at, trades and mart");
        refused("""
                {"dataset": "fashion-mnist", "method": "pgd-at", "gradAlign": {"lambda": 0.2}}""", "gradAlign", "no single-step attack");
        refused("""
                {"dataset": "fashion-mnist", "method": "arr", "gradAlign": {"lambda": 0.2}}""", "gradAlign", "fgsm-rs");
        refused("""
                {"dataset": "fashion-mnist", "method": "n-fgsm", "gradAlign": {"lambda": 0.2}}""", "gradAlign", "fgsm-rs");
    }
}
