package org.robustlab.ml.engine;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.LibUtils;
import ai.djl.util.cuda.CudaUtils;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the PyTorch engine loaded: libtorch's version, flavour and folder, the GPUs it sees and the CUDA
 * runtime's version. Reading it loads the engine, so apply {@link EngineSettings} first.
 *
 * @param djlVersion DJL's version
 * @param libtorchVersion the loaded libtorch's version
 * @param flavor cpu, or cuNNN for a CUDA build (from the settings, else from the folder's name or its files)
 * @param folder the folder libtorch was loaded from
 * @param gpus the number of GPUs libtorch can use in this process (0 with a CPU build, whatever the machine has)
 * @param cudaVersion the CUDA runtime's version when there is a GPU, else null
 */
public record EngineInfo(String djlVersion, String libtorchVersion, String flavor, String folder, int gpus, String cudaVersion) {

    private static final Pattern DJL_CACHE_FOLDER = Pattern.compile("[0-9][0-9.]*-(cpu|cu[0-9]+)(-precxx11)?-.*");

    /** Loads the engine (if it is not yet) and reads what it loaded. */
    public static EngineInfo read() {
        Engine engine = Engine.getEngine("PyTorch");
        String folder = LibUtils.getLibtorchPath();
        // DJL counts GPUs through the CUDA runtime, whichever libtorch is loaded; a CPU build cannot use them
        int gpus = engine.hasCapability("CUDA") ? engine.getGpuCount() : 0;
        return new EngineInfo(Engine.getDjlVersion(), LibUtils.getVersion(), flavor(folder), folder, gpus,
                gpus > 0 ? CudaUtils.getCudaVersionString() : null);
    }

    static String flavor(String folder) {
        String configured = System.getenv("PYTORCH_FLAVOR");
        if (configured == null) {
            configured = System.getProperty("PYTORCH_FLAVOR");
        }
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        Path dir = Path.of(folder);
        Matcher m = DJL_CACHE_FOLDER.matcher(dir.getFileName() == null ? "" : dir.getFileName().toString());
        if (m.matches()) {
            return m.group(1);
        }
        return Files.exists(dir.resolve("libtorch_cuda.so")) ? "cuda" : "cpu";
    }
}
