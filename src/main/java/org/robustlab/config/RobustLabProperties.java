package org.robustlab.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.robustlab.ml.engine.EngineSettings;
import org.robustlab.storage.S3ObjectStore;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * RobustLab's configuration, under {@code robustlab.*}.
 *
 * @param dataDir folder where datasets are looked for (and downloaded to when allowed)
 * @param runsDir folder of job folders: checkpoints, model files, worker logs
 * @param downloadDatasets whether missing datasets may be downloaded (each file checked against its published MD5)
 * @param workers the worker processes that run jobs
 * @param engine the native PyTorch library the service and its workers load
 * @param security API keys and who may read what
 * @param limits what one key may ask of the service
 * @param storage where checkpoints, models, uploads and pictures are kept
 * @param instanceId this instance's name in the job queue and the execution history (empty: host name and process id)
 */
@Validated
@ConfigurationProperties("robustlab")
public record RobustLabProperties(
        @NotNull Path dataDir,
        @NotNull Path runsDir,
        boolean downloadDatasets,
        @NotNull @Valid Workers workers,
        @NotNull @Valid Engine engine,
        @NotNull @Valid Security security,
        @NotNull @Valid Limits limits,
        @NotNull @Valid Storage storage,
        String instanceId) {

    /** This instance's name: robustlab.instance-id, or host name and process id. */
    public String instanceName() {
        if (instanceId != null && !instanceId.isBlank()) {
            return instanceId;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid();
    }

    /**
     * The artifact store.
     *
     * @param type filesystem (the default) or s3
     * @param root filesystem: the store's folder (empty: runs-dir); a volume shared by all instances when there are several
     * @param s3 s3: the bucket and how to reach it
     */
    public record Storage(@NotNull @Pattern(regexp = "filesystem|s3",
            message = "must be filesystem or s3") String type, Path root, S3ObjectStore.Settings s3) {}

    /**
     * @param maxConcurrent jobs running at once on CPU (with GPUs: one per GPU)
     * @param threads PyTorch intra-op threads per worker; 0 means all cores but one, so that the HTTP side stays responsive
     * @param heap the worker JVM's -Xmx, e.g. 4g
     * @param maxAttempts how often a job interrupted by a crash or restart is started again before it fails
     * @param cancelGraceSeconds seconds a cancelled worker gets to stop on its own before it is killed
     * @param gpuSharing how many jobs of small models may share one GPU
     * @param enabled false: this instance serves the API only and runs no jobs (others on the same database do)
     */
    public record Workers(
            @Min(1) int maxConcurrent,
            @Min(0) int threads,
            @NotBlank String heap,
            @Min(1) int maxAttempts,
            @Min(1) int cancelGraceSeconds,
            @NotNull @Valid GpuSharing gpuSharing,
            boolean enabled) {

        /** The thread count a worker gets. */
        public int effectiveThreads() {
            return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        }
    }

    /**
     * Jobs of small models (SmallCNN at batch 128 uses a few percent of a GPU) may share a GPU; every
     * other job has its GPU to itself.
     *
     * @param smallJobsPerGpu jobs of small models at once on one GPU; 1 (the default) shares nothing
     * @param smallArchitectures the architectures that count as small (default: small-cnn)
     */
    public record GpuSharing(@Min(1) @Max(64) int smallJobsPerGpu, @NotNull List<String> smallArchitectures) {}

    /**
     * The libtorch to load, in the service (device detection, health, upload checks) and in every
     * worker. Left empty, the CPU build bundled in the jar is used; see "On a GPU machine" in the README.
     *
     * @param libraryPath a folder with libtorch's libraries (DJL's PYTORCH_LIBRARY_PATH), e.g. a libtorch 2.7.1 CUDA build
     * @param version libtorch's version (DJL's PYTORCH_VERSION), e.g. 2.7.1
     * @param flavor libtorch's flavour (DJL's PYTORCH_FLAVOR), e.g. cpu or cu128
     * @param offline true: never download natives (the jar's, or the folder's, are used); false: DJL may
     *     download the CUDA build that matches the machine on first start (needs network)
     * @param cudnnBenchmark cuDNN benchmark mode: searches the fastest convolution algorithm per input shape
     *     (faster for fixed shapes; results are not bitwise reproducible)
     * @param onednnMaxCpuIsa the instruction set oneDNN is capped at in workers (ONEDNN_MAX_CPU_ISA): {@code auto} (the
     *     default) caps it at SSE41 only for the workers whose convolutions the service's check finds wrong on this CPU
     *     (ConvolutionCheck); {@code none} never caps it; any other value (AVX2, SSE41, ...) is passed as it is
     */
    public record Engine(String libraryPath, String version, String flavor, boolean offline, boolean cudnnBenchmark,
            String onednnMaxCpuIsa) {

        /** The value of {@code onednnMaxCpuIsa} that leaves the choice to the convolution check. */
        public static final String AUTO = "auto";

        public Engine {
            onednnMaxCpuIsa = onednnMaxCpuIsa == null || onednnMaxCpuIsa.isBlank() ? AUTO : onednnMaxCpuIsa.trim();
        }

        /** These settings in the ML engine's terms (oneDNN's cap only when one is named). */
        public EngineSettings settings() {
            String isa = onednnMaxCpuIsa.equalsIgnoreCase(AUTO) || onednnMaxCpuIsa.equalsIgnoreCase("none") ? null : onednnMaxCpuIsa;
            return new EngineSettings(libraryPath, version, flavor, offline, cudnnBenchmark, isa);
        }

        /** Whether the convolution check decides the cap. */
        public boolean autoIsa() {
            return onednnMaxCpuIsa.equalsIgnoreCase(AUTO);
        }
    }

    /**
     * @param adminKeyFile where the first admin key is written when the database has none (readable by its owner only)
     * @param privateReads false (the default): everyone with a key reads every job, evaluation and model; true:
     *     viewers and researchers see only their own, admins all
     * @param jwt OIDC bearer tokens, accepted next to API keys when one of its key sources is set
     */
    public record Security(@NotNull Path adminKeyFile, boolean privateReads, @Valid Jwt jwt) {

        public Security {
            jwt = jwt == null ? new Jwt(null, null, null, null, null, null, null) : jwt;
        }
    }

    /**
     * Bearer JWTs from a lab's identity provider (OIDC), verified with one of three key sources; the token must be
     * signed, unexpired, and carry a role.
     *
     * @param issuerUri the provider's issuer: its keys come from OIDC discovery and tokens must name it as iss
     * @param jwkSetUri or: the provider's JWK set URL
     * @param publicKeyFile or: an RSA public key (PEM, X.509 SubjectPublicKeyInfo)
     * @param issuer with jwkSetUri or publicKeyFile: the iss tokens must carry (empty: not checked)
     * @param audience the aud tokens must include (empty: not checked)
     * @param usernameClaim the claim that names the caller, the owner of what it creates (default
     *     preferred_username; sub when the token has no such claim)
     * @param rolesClaim the claim (a dotted path, such as realm_access.roles) with the caller's roles, a string or
     *     a list; viewer, researcher or admin, the highest counts
     */
    public record Jwt(String issuerUri, String jwkSetUri, Path publicKeyFile, String issuer, String audience,
            String usernameClaim, String rolesClaim) {

        public boolean enabled() {
            return present(issuerUri) || present(jwkSetUri) || publicKeyFile != null && !publicKeyFile.toString().isBlank();
        }

        private static boolean present(String s) {
            return s != null && !s.isBlank();
        }
    }

    /**
     * Limits per key and per request; a breach is a 429 (or a 400 for a job too big to run, a 413 for a body too
     * large), with Retry-After where waiting helps.
     *
     * @param maxActivePerOwner queued plus running training jobs and evaluations of one owner
     * @param maxTrainingCost the largest training job, in SmallCNN image-passes (see ComputeCost: the paper's 200
     *     epochs of ResNet-18 ARR-FGSM on CIFAR-10 are 5.5e9, 200 epochs of PGD-AT-10 on WideResNet-34-10 2.3e11)
     * @param maxEvaluationCost the largest evaluation, in SmallCNN image-passes (AutoAttack's standard budget on the
     *     10,000 CIFAR-10 test images and a WideResNet-34-10 is 5.4e10)
     * @param submissionsPerMinute submissions (jobs, evaluations, uploads, keys) per key and minute, on each instance
     * @param maxJsonBody the largest JSON request body
     * @param sse caps on server-sent event streams
     * @param modelCheckTimeout how long the checks of an uploaded TorchScript model may take (a worker process loads it and
     *     runs it on one batch of test images); a model that takes longer is refused. Default 120 s
     * @param maxTorchScriptSize the largest TorchScript archive taken (a 400 above it, before a worker loads it); the
     *     multipart limit, which every upload meets first, is a 413. Default 512 MB
     */
    public record Limits(@Min(1) int maxActivePerOwner, @Positive double maxTrainingCost, @Positive double maxEvaluationCost,
            @Min(1) int submissionsPerMinute, @NotNull DataSize maxJsonBody, @NotNull @Valid Sse sse, Duration modelCheckTimeout,
            DataSize maxTorchScriptSize) {

        public Limits {
            modelCheckTimeout = modelCheckTimeout == null ? Duration.ofSeconds(120) : modelCheckTimeout;
            maxTorchScriptSize = maxTorchScriptSize == null ? DataSize.ofMegabytes(512) : maxTorchScriptSize;
        }
    }

    /**
     * @param maxPerJob streams open on one job
     * @param maxPerKey streams open with one key
     * @param maxTotal streams open on this instance
     * @param heartbeat how often an idle stream sends a comment (so that a vanished client is found and released)
     * @param timeout how long a stream stays open at most; the client reconnects
     */
    public record Sse(@Min(1) int maxPerJob, @Min(1) int maxPerKey, @Min(1) int maxTotal, @NotNull Duration heartbeat,
            @NotNull Duration timeout) {}
}
