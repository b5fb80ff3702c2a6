package org.robustlab.device;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.ml.engine.ConvolutionCheck;
import org.robustlab.ml.engine.EngineInfo;
import org.robustlab.ml.engine.EngineSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * This instance's native engine. It applies {@code robustlab.engine.*} to the service's JVM before
 * anything loads DJL, then loads the engine once and records what it got: libtorch's version, flavour
 * and folder, and how many GPUs libtorch can use. Workers are started with the same settings. A
 * libtorch that fails to load does not stop the service: it has no worker slots then, and health
 * says why.
 */
@Component
public class NativeEngine {

    private static final Logger log = LoggerFactory.getLogger(NativeEngine.class);
    private static final long GPU_QUERY_CACHE_NANOS = 5_000_000_000L;

    private final EngineSettings settings;
    private final EngineSettings ownModelSettings;
    private final EngineInfo info;
    private final String loadError;
    private final ConvolutionCheck convolutionCheck;
    private final ConvolutionCheck anyChannelsCheck;
    private volatile List<Gpu> gpuCache;
    private volatile long gpuCacheTime;

    /**
     * A GPU of this instance, with what nvidia-smi reports of it (name and memory are null without nvidia-smi).
     *
     * @param index libtorch's number for it in this service (0, 1, ...)
     * @param pin what a worker's CUDA_VISIBLE_DEVICES is set to, to give it this GPU alone (the machine's
     *     index, or the UUID the service's own CUDA_VISIBLE_DEVICES named it by)
     * @param name the card
     * @param memoryTotalMiB its memory
     * @param memoryUsedMiB memory in use by every process on it
     */
    public record Gpu(int index, String pin, String name, Long memoryTotalMiB, Long memoryUsedMiB) {}

    NativeEngine(RobustLabProperties properties) {
        EngineSettings configured = properties.engine().settings();
        configured.applyToThisJvm();
        EngineInfo read = null;
        String error = null;
        ConvolutionCheck check = null;
        ConvolutionCheck anyChannels = null;
        EngineSettings ownModels = configured;
        try {
            read = EngineInfo.read();
            log.info("PyTorch engine: libtorch {} ({}) from {}; {} GPU(s) usable", read.libtorchVersion(), read.flavor(),
                    read.folder(), read.gpus());
            if (read.gpus() == 0 && !read.flavor().equals("cpu")) {
                log.warn("libtorch is a {} build but no GPU is counted: DJL counts GPUs through the CUDA runtime, found with JNA;"
                        + " without a driver, or without an unversioned libcudart.so on -Djna.library.path, jobs run on the CPU"
                        + " (README, 'On a GPU machine')", read.flavor());
            }
            String inherited = System.getenv(ConvolutionCheck.ISA_VARIABLE);
            check = ConvolutionCheck.run(ConvolutionCheck.BUILT_IN_CHANNELS);
            anyChannels = ConvolutionCheck.run(ConvolutionCheck.ANY_CHANNELS);
            ownModels = workerSettings(configured, check.passed() ? anyChannels : check, properties.engine().autoIsa(), inherited);
            configured = workerSettings(configured, check, properties.engine().autoIsa(), inherited);
            if (!check.passed()) {
                log.warn("{}; workers start with {}={}", check.advice(), ConvolutionCheck.ISA_VARIABLE, configured.onednnMaxCpuIsa());
            } else if (!anyChannels.passed()) {
                log.warn("{}; the built-in architectures are right, workers that run a lab's own model start with {}={}",
                        anyChannels.advice(), ConvolutionCheck.ISA_VARIABLE, ownModels.onednnMaxCpuIsa());
            }
        } catch (RuntimeException | LinkageError e) {
            error = e.getClass().getSimpleName() + ": " + e.getMessage();
            log.error("the PyTorch engine did not load with robustlab.engine = {}; no job can run", configured, e);
        }
        this.settings = configured;
        this.ownModelSettings = ownModels;
        this.info = read;
        this.loadError = error;
        this.convolutionCheck = check;
        this.anyChannelsCheck = anyChannels;
    }

    /**
     * The settings workers get: with oneDNN capped at {@link ConvolutionCheck#SAFE_ISA} when the cap is left to the check
     * ({@code auto}), the check failed, and the service was not itself started with a cap (which workers inherit).
     */
    static EngineSettings workerSettings(EngineSettings configured, ConvolutionCheck check, boolean auto, String inherited) {
        if (auto && !check.passed() && (inherited == null || inherited.isBlank())) {
            return configured.withOnednnMaxCpuIsa(ConvolutionCheck.SAFE_ISA);
        }
        return configured;
    }

    /**
     * The convolution check for the built-in architectures' channel counts, run when this service started; null when the
     * engine did not load.
     */
    public ConvolutionCheck convolutionCheck() {
        return convolutionCheck;
    }

    /** The convolution check for channel counts oneDNN pads (a lab's own model), run when this service started; or null. */
    public ConvolutionCheck anyChannelsCheck() {
        return anyChannelsCheck;
    }

    /** The settings a worker for the built-in architectures gets. */
    public EngineSettings settings() {
        return settings;
    }

    /** The settings a worker that runs a lab's own model (TorchScript) gets: capped when {@link #anyChannelsCheck()} failed. */
    public EngineSettings ownModelSettings() {
        return ownModelSettings;
    }

    /** What was loaded; null when loading failed (see {@link #loadError()}). */
    public EngineInfo info() {
        return info;
    }

    /** Why the engine did not load, or null. */
    public String loadError() {
        return loadError;
    }

    /** How many GPUs libtorch can use here. */
    public int gpuCount() {
        return info == null ? 0 : info.gpus();
    }

    /** This instance's GPUs with their names and memory, from nvidia-smi (read at most every 5 s). */
    public List<Gpu> gpus() {
        int count = gpuCount();
        if (count == 0) {
            return List.of();
        }
        long now = System.nanoTime();
        List<Gpu> cached = gpuCache;
        if (cached != null && now - gpuCacheTime < GPU_QUERY_CACHE_NANOS) {
            return cached;
        }
        List<Gpu> fresh = querySmi(pins(count, System.getenv("CUDA_VISIBLE_DEVICES")));
        gpuCache = fresh;
        gpuCacheTime = now;
        return fresh;
    }

    /**
     * What CUDA_VISIBLE_DEVICES names the GPUs libtorch numbers 0..count-1 by: the entries of the
     * service's own CUDA_VISIBLE_DEVICES when it was started with one, else 0..count-1.
     */
    static List<String> pins(int count, String cudaVisibleDevices) {
        List<String> out = new ArrayList<>();
        if (cudaVisibleDevices != null && !cudaVisibleDevices.isBlank()) {
            for (String part : cudaVisibleDevices.split(",")) {
                out.add(part.trim());
            }
        }
        if (out.size() < count) {
            out.clear();
            for (int i = 0; i < count; i++) {
                out.add(Integer.toString(i));
            }
        }
        return List.copyOf(out.subList(0, count));
    }

    /** The pins of the usable GPUs, in libtorch's order. */
    public List<String> pins() {
        return pins(gpuCount(), System.getenv("CUDA_VISIBLE_DEVICES"));
    }

    /**
     * nvidia-smi's view of the GPUs with these pins (matched by index or UUID); pins alone when
     * nvidia-smi is missing or fails. nvidia-smi is used rather than CUDA so that the service never
     * opens a CUDA context on a GPU its workers need.
     */
    static List<Gpu> querySmi(List<String> pins) {
        String text = "";
        try {
            Process p = new ProcessBuilder("nvidia-smi", "--query-gpu=index,uuid,name,memory.total,memory.used",
                    "--format=csv,noheader,nounits").redirectErrorStream(true).start();
            text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(5, TimeUnit.SECONDS) || p.exitValue() != 0) {
                text = "";
            }
        } catch (IOException e) {
            // no nvidia-smi: pins only
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return match(pins, text);
    }

    /** The GPUs {@code pins} names, with the name and memory of the nvidia-smi line of the same index or UUID. */
    static List<Gpu> match(List<String> pins, String smiCsv) {
        List<Gpu> out = new ArrayList<>();
        for (int i = 0; i < pins.size(); i++) {
            String pin = pins.get(i);
            Gpu found = new Gpu(i, pin, null, null, null);
            for (String line : smiCsv.split("\n")) {
                String[] f = line.split(",");
                if (f.length >= 5 && (f[0].trim().equals(pin) || f[1].trim().equals(pin))) {
                    try {
                        found = new Gpu(i, pin, f[2].trim(), Long.parseLong(f[3].trim()), Long.parseLong(f[4].trim()));
                    } catch (NumberFormatException e) {
                        // [N/A] memory: keep the name only
                        found = new Gpu(i, pin, f[2].trim(), null, null);
                    }
                    break;
                }
            }
            out.add(found);
        }
        return out;
    }
}
