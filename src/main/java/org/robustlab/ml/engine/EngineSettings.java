package org.robustlab.ml.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The choice of libtorch, in DJL's own terms.
 *
 * @param libraryPath a folder holding libtorch (DJL's {@code PYTORCH_LIBRARY_PATH}); null: DJL's
 *     natives from the classpath (the CPU build bundled in the default jar), else DJL's cache or download
 * @param version libtorch's version (DJL's {@code PYTORCH_VERSION}), e.g. 2.7.1; null: DJL's default
 * @param flavor libtorch's flavour (DJL's {@code PYTORCH_FLAVOR}), e.g. cpu, cu128; null: DJL picks
 *     (a CUDA build when it finds a GPU)
 * @param offline whether DJL may download natives (false) or must use what is on the classpath or in the folder (true)
 * @param cudnnBenchmark cuDNN benchmark mode: the fastest convolution algorithm is searched for each
 *     new input shape (faster for fixed shapes; not bitwise reproducible)
 * @param onednnMaxCpuIsa the instruction set oneDNN's kernels are capped at in a worker ({@value
 *     ConvolutionCheck#ISA_VARIABLE}), e.g. AVX2; null: oneDNN picks the best the CPU has
 */
public record EngineSettings(String libraryPath, String version, String flavor, boolean offline, boolean cudnnBenchmark,
        String onednnMaxCpuIsa) {

    /** DJL's defaults: natives from the classpath, no download. */
    public static EngineSettings defaults() {
        return new EngineSettings(null, null, null, true, false, null);
    }

    public EngineSettings {
        libraryPath = blankToNull(libraryPath);
        version = blankToNull(version);
        flavor = blankToNull(flavor);
        onednnMaxCpuIsa = blankToNull(onednnMaxCpuIsa);
    }

    public EngineSettings(String libraryPath, String version, String flavor, boolean offline, boolean cudnnBenchmark) {
        this(libraryPath, version, flavor, offline, cudnnBenchmark, null);
    }

    /** These settings with oneDNN capped at {@code isa} in the workers. */
    public EngineSettings withOnednnMaxCpuIsa(String isa) {
        return new EngineSettings(libraryPath, version, flavor, offline, cudnnBenchmark, isa);
    }

    /**
     * Sets these as system properties of this JVM, which DJL reads when the engine first loads (an
     * environment variable of the same name, set by the operator, still wins: DJL reads it first). oneDNN's cap is an
     * environment variable only, and reaches workers alone.
     */
    public void applyToThisJvm() {
        environment().forEach((name, value) -> {
            if (!name.equals(ConvolutionCheck.ISA_VARIABLE)) {
                System.setProperty(name, value);
            }
        });
        System.setProperty("ai.djl.offline", Boolean.toString(offline));
        System.setProperty("ai.djl.pytorch.cudnn_benchmark", Boolean.toString(cudnnBenchmark));
    }

    /** The environment variables DJL reads, for a worker process. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        if (libraryPath != null) {
            env.put("PYTORCH_LIBRARY_PATH", libraryPath);
        }
        if (version != null) {
            env.put("PYTORCH_VERSION", version);
        }
        if (flavor != null) {
            env.put("PYTORCH_FLAVOR", flavor);
        }
        if (onednnMaxCpuIsa != null) {
            env.put(ConvolutionCheck.ISA_VARIABLE, onednnMaxCpuIsa);
        }
        return env;
    }

    /** The JVM options DJL reads, for a worker process. */
    public List<String> javaOptions() {
        List<String> options = new ArrayList<>();
        options.add("-Dai.djl.offline=" + offline);
        options.add("-Dai.djl.pytorch.cudnn_benchmark=" + cudnnBenchmark);
        return options;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
