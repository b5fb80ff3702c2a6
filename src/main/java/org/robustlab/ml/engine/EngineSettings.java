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
 */
public record EngineSettings(String libraryPath, String version, String flavor, boolean offline, boolean cudnnBenchmark) {

    /** DJL's defaults: natives from the classpath, no download. */
    public static EngineSettings defaults() {
        return new EngineSettings(null, null, null, true, false);
    }

    public EngineSettings {
        libraryPath = blankToNull(libraryPath);
        version = blankToNull(version);
        flavor = blankToNull(flavor);
    }

    /**
     * Sets these as system properties of this JVM, which DJL reads when the engine first loads (an
     * environment variable of the same name, set by the operator, still wins: DJL reads it first).
     */
    public void applyToThisJvm() {
        environment().forEach(System::setProperty);
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
