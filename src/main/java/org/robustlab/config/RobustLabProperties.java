package org.robustlab.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * RobustLab's configuration, under {@code robustlab.*}.
 *
 * @param dataDir folder where datasets are looked for (and downloaded to when allowed)
 * @param runsDir folder of job folders: checkpoints, model files, worker logs
 * @param downloadDatasets whether missing CIFAR archives may be downloaded (checksum-checked)
 * @param workers the worker processes that run jobs
 */
@Validated
@ConfigurationProperties("robustlab")
public record RobustLabProperties(
        @NotNull Path dataDir,
        @NotNull Path runsDir,
        boolean downloadDatasets,
        @NotNull @Valid Workers workers) {

    /**
     * @param maxConcurrent jobs running at once on CPU (with GPUs: one per GPU)
     * @param threads PyTorch intra-op threads per worker; 0 means all cores but one, so that the HTTP side stays responsive
     * @param heap the worker JVM's -Xmx, e.g. 4g
     * @param maxAttempts how often a job interrupted by a crash or restart is started again before it fails
     * @param cancelGraceSeconds seconds a cancelled worker gets to stop on its own before it is killed
     */
    public record Workers(
            @Min(1) int maxConcurrent,
            @Min(0) int threads,
            @NotBlank String heap,
            @Min(1) int maxAttempts,
            @Min(1) int cancelGraceSeconds) {

        /** The thread count a worker gets. */
        public int effectiveThreads() {
            return threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() - 1);
        }
    }
}
