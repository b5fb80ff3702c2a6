package org.robustlab.job;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.util.List;
import java.util.Set;

/**
 * A training job as clients send it. Everything but {@code dataset} has a default; method-specific
 * fields sit at the top level ({@code lambda} and {@code divergence} for ARR, {@code beta} for TRADES and MART), and
 * the add-ons in objects of their own ({@code weightPerturbation} for AWP, {@code gradAlign} for GradAlign).
 */
@Schema(example = """
        {"name": "arr-fashion", "dataset": "fashion-mnist", "trainSubset": 2000, "model": "small-cnn",
         "method": "arr", "lambda": 1.0, "divergence": "kl", "attack": {"type": "fgsm", "epsilon": 0.1},
         "epochs": 1, "batchSize": 128,
         "optimizer": {"type": "sgd", "learningRate": 0.01, "momentum": 0.9, "weightDecay": 0.0005},
         "seed": 7}""")
public record CreateTrainingJobRequest(
        @Size(max = 200) String name,
        @NotBlank @Size(max = 40) @Schema(description = "the dataset", example = "fashion-mnist",
                allowableValues = {"fashion-mnist", "mnist", "cifar10", "cifar100"}) String dataset,
        @Min(0) @Max(10_000_000) @Schema(description = "train on a seeded sample of this many training images; 0 or absent: all") Integer trainSubset,
        @Size(max = 40) @Schema(description = "small-cnn (28x28 only), resnet18, preact-resnet18, wrn-28-10, wrn-34-10, wrn-70-16, dm-wrn-28-10 or dm-wrn-70-16; default small-cnn for 28x28 datasets, resnet18 otherwise",
                allowableValues = {"small-cnn", "resnet18", "preact-resnet18", "wrn-28-10", "wrn-34-10", "wrn-70-16",
                        "dm-wrn-28-10", "dm-wrn-70-16"}) String model,
        @Size(max = 40) @Schema(description = "default arr", allowableValues = {"standard", "arr", "pgd-at", "trades", "mart", "fgsm-rs", "n-fgsm"}) String method,
        @JsonProperty("lambda") @DecimalMin("0") @DecimalMax("1000") @Schema(description = "ARR weight; default 1") Double lambda,
        @Size(max = 40) @Schema(description = "ARR's divergence; default kl", allowableValues = {"kl", "l2"}) String divergence,
        @DecimalMin("0") @DecimalMax("1000") @Schema(description = "the weight of TRADES' and MART's KL term; default 6") Double beta,
        @Min(0) @Max(10_000) @Schema(description = "epochs over which lambda or beta rises linearly from 0") Integer weightWarmupEpochs,
        @Valid AttackRequest attack,
        @Min(1) @Max(10_000) @Schema(description = "default 10") Integer epochs,
        @Min(1) @Max(4096) @Schema(description = "default 128") Integer batchSize,
        @Valid OptimizerRequest optimizer,
        @Valid ScheduleRequest schedule,
        @Valid ValidationRequest validation,
        @Schema(description = "CIFAR augmentation (crop and flip); default on for CIFAR, off otherwise") Boolean augment,
        @Valid @Schema(description = "the catastrophic-overfitting stop of adversarial methods; default on, threshold 0.2")
        CatastrophicOverfittingRequest catastrophicOverfitting,
        @Min(0) @Schema(description = "seed of every random choice; default 1") Long seed,
        @Size(max = 20) Set<@NotBlank @Size(max = 100) String> tags,
        @Schema(description = "where it trains: auto (the default: a GPU when this instance has one), cpu or gpu",
                allowableValues = {"auto", "cpu", "gpu"}) @Size(max = 40) String device,
        @Valid @Schema(description = "adversarial weight perturbation (AWP) on top of arr, pgd-at, trades or mart")
        WeightPerturbationRequest weightPerturbation,
        @Valid @Schema(description = "GradAlign's regulariser on fgsm-rs") GradAlignRequest gradAlign) {

    /** The request without AWP or GradAlign. */
    public CreateTrainingJobRequest(String name, String dataset, Integer trainSubset, String model, String method, Double lambda,
            String divergence, Double beta, Integer weightWarmupEpochs, AttackRequest attack, Integer epochs, Integer batchSize,
            OptimizerRequest optimizer, ScheduleRequest schedule, ValidationRequest validation, Boolean augment,
            CatastrophicOverfittingRequest catastrophicOverfitting, Long seed, Set<String> tags, String device) {
        this(name, dataset, trainSubset, model, method, lambda, divergence, beta, weightWarmupEpochs, attack, epochs, batchSize,
                optimizer, schedule, validation, augment, catastrophicOverfitting, seed, tags, device, null, null);
    }

    /**
     * Adversarial weight perturbation (Wu et al., 2020): before each update every weight matrix and kernel w moves by
     * gamma * |w| along the normalised gradient of the method's loss; the update is taken there and the move undone.
     *
     * @param gamma the move relative to each weight's norm; default 0.01 (the PGD-AT reference; its TRADES code uses
     *     0.005)
     * @param warmupEpochs epochs trained without it first; default 0 (the TRADES reference waits 10 of its 100)
     */
    @Schema(name = "WeightPerturbation", description = "adversarial weight perturbation (AWP) of arr, pgd-at, trades or mart")
    public record WeightPerturbationRequest(
            @DecimalMin("0") @DecimalMax("1") @Schema(example = "0.01") Double gamma,
            @Min(0) @Max(10_000) Integer warmupEpochs) {}

    /**
     * GradAlign (Andriushchenko and Flammarion, 2020) on fgsm-rs: lambda * (1 - cos) between the input gradients at x
     * and at x plus uniform noise in the epsilon ball, differentiated through.
     *
     * @param lambda the regulariser's weight; the paper's CIFAR-10 value at 8/255 is 0.2
     */
    @Schema(name = "GradAlign", description = "GradAlign's regulariser on fgsm-rs")
    public record GradAlignRequest(@NotNull @DecimalMin("0") @DecimalMax("1000") @Schema(example = "0.2") Double lambda) {}

    /**
     * The inner attack of the adversarial methods (epsilon also sets the validation attack's budget).
     *
     * @param type fgsm or pgd; fgsm-rs and n-fgsm take fgsm (their default), pgd-at, trades and mart pgd
     * @param epsilon L-inf radius in [0,1] pixel units; default 0.1 (MNIST-like: 0.3 for mnist) or 8/255 (CIFAR)
     * @param steps PGD steps; default 3 for ARR, 10 for PGD-AT, TRADES and MART
     * @param stepSize the step; default epsilon/2 for ARR, 1.25 epsilon for fgsm-rs, epsilon for n-fgsm, epsilon/4 otherwise
     * @param randomStart FGSM random start (step 1.25 epsilon); default true; fgsm-rs always starts at random, n-fgsm
     *     from its noise instead
     * @param trainingMode craft with the model in training mode; default false (true for PGD-AT, fgsm-rs and n-fgsm, as
     *     their reference code does)
     * @param noise n-fgsm only: the bound of the uniform noise added before the step, in [0,1] pixel units; default
     *     2 epsilon
     */
    @Schema(name = "TrainingAttack", description = "the inner attack of a training job")
    public record AttackRequest(
            @Size(max = 40) @Schema(example = "fgsm", allowableValues = {"fgsm", "pgd"}) String type,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double epsilon,
            @Min(1) @Max(1000) Integer steps,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double stepSize,
            Boolean randomStart,
            Boolean trainingMode,
            @DecimalMin("0") @DecimalMax("1") Double noise) {

        public AttackRequest(String type, Double epsilon, Integer steps, Double stepSize, Boolean randomStart, Boolean trainingMode) {
            this(type, epsilon, steps, stepSize, randomStart, trainingMode, null);
        }
    }

    /**
     * @param type sgd (the only optimiser)
     * @param learningRate default 0.1 for ResNets, 0.05 for small-cnn
     * @param momentum default 0.9
     * @param weightDecay default 5e-4
     * @param nesterov default false
     */
    public record OptimizerRequest(
            @Size(max = 40) @Schema(allowableValues = {"sgd"}) String type,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("10") Double learningRate,
            @DecimalMin("0") @DecimalMax(value = "1", inclusive = false) Double momentum,
            @DecimalMin("0") @DecimalMax("1") Double weightDecay,
            Boolean nesterov) {}

    /**
     * @param type multistep (default: x0.1 at 50% and 75% of the epochs, the paper's 100 and 150 of 200), cosine, piecewise-linear or constant
     * @param milestones epochs of a multistep schedule
     * @param gamma the multistep factor; default 0.1
     */
    public record ScheduleRequest(@Size(max = 40) @Schema(allowableValues = {"multistep", "cosine", "piecewise-linear", "constant"}) String type, @Size(max = 100) List<@NotNull @Min(0) @Max(10_000) Integer> milestones,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double gamma) {}

    /**
     * The catastrophic-overfitting stop (Wong et al., 2020): the run ends, state STOPPED, when validation PGD
     * accuracy falls more than {@code threshold} below the best seen; its best-robust model is kept. It applies
     * to the adversarial methods (arr, pgd-at, trades, mart, fgsm-rs, n-fgsm) only: a standard model's robust accuracy always falls.
     *
     * @param enabled default true for adversarial methods; must not be true for standard training
     * @param threshold the fall, in accuracy; default 0.2
     */
    public record CatastrophicOverfittingRequest(Boolean enabled,
            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1") Double threshold) {}

    /**
     * @param size training images held out for validation; default 1000
     * @param pgdSteps PGD steps of the per-epoch validation attack; default 10
     */
    public record ValidationRequest(@Min(1) @Max(100_000) Integer size, @Min(1) @Max(1000) Integer pgdSteps) {}
}
