package org.robustlab.runner;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.jar.JarFile;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.device.DevicePool;
import org.robustlab.ml.engine.EngineSettings;
import org.robustlab.worker.WorkerEvent;
import org.robustlab.worker.WorkerJson;
import org.robustlab.worker.WorkerMain;
import org.robustlab.worker.WorkerTask;

/**
 * A child JVM running {@link WorkerMain} on one task. Its events arrive through a callback; its log
 * (stderr and any non-event line) goes to {@code worker.log} in the job folder.
 */
final class WorkerProcess implements AutoCloseable {

    private final Process process;
    private final PrintWriter stdin;

    /** The exit code of a worker that stopped because its lease expired (see {@link WorkerTask#leaseSeconds()}). */
    static final int LEASE_EXPIRED = WorkerMain.LEASE_EXPIRED;

    private WorkerProcess(Process process) {
        this.process = process;
        this.stdin = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
        Thread lease = new Thread(() -> {
            // renews the worker's lease every second while this JVM runs (and is not paused)
            while (process.isAlive()) {
                synchronized (stdin) {
                    stdin.println("alive");
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "worker-lease-" + process.pid());
        lease.setDaemon(true);
        lease.start();
    }

    /**
     * Starts a worker on {@code taskFile}, with the engine's settings (which libtorch, offline, cuDNN
     * benchmark mode) and pinned to its slot's GPU (a CPU worker sees none); {@code log} receives
     * stderr and stray stdout lines. A worker that runs a lab's own model ({@code ownModel}) gets only the environment
     * it needs to compute ({@link #computeEnvironment}): none of the service's credentials.
     */
    static WorkerProcess start(Path taskFile, Path log, RobustLabProperties.Workers config, EngineSettings engine,
            DevicePool.Slot slot, boolean ownModel) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command(taskFile, config, engine))
                .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (ownModel) {
            Map<String, String> kept = computeEnvironment(builder.environment());
            builder.environment().clear();
            builder.environment().putAll(kept);
        }
        builder.environment().putAll(engine.environment());
        builder.environment().putAll(slot.environment());
        return new WorkerProcess(builder.start());
    }

    /** Variables a worker that runs a lab's model keeps, by name. */
    private static final Set<String> KEPT = Set.of("PATH", "HOME", "LANG", "TZ", "TMPDIR", "LD_LIBRARY_PATH", "JAVA_HOME",
            "DJL_CACHE_DIR", "ENGINE_CACHE_DIR", "CUDA_VISIBLE_DEVICES");
    /** ... and by prefix: locale, libtorch, oneDNN, OpenMP, MKL and CUDA settings. */
    private static final List<String> KEPT_PREFIXES = List.of("LC_", "PYTORCH_", "ONEDNN_", "DNNL_", "OMP_", "MKL_", "KMP_",
            "CUDA_", "NVIDIA_", "NCCL_", "TORCH_");

    /**
     * The part of {@code inherited} a worker that runs a lab's model keeps: what locates Java, libtorch and the GPU and
     * tunes their threads; not the database's, the store's or any other credentials the service was started with.
     */
    static Map<String, String> computeEnvironment(Map<String, String> inherited) {
        Map<String, String> kept = new TreeMap<>();
        inherited.forEach((name, value) -> {
            if (KEPT.contains(name) || KEPT_PREFIXES.stream().anyMatch(name::startsWith)) {
                kept.put(name, value);
            }
        });
        return kept;
    }

    static List<String> command(Path taskFile, RobustLabProperties.Workers config, EngineSettings engine) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx" + config.heap());
        command.add("-Dai.djl.pytorch.num_threads=" + config.effectiveThreads());
        command.add("-Dai.djl.pytorch.num_interop_threads=1");
        command.addAll(engine.javaOptions());
        command.add("-Djava.awt.headless=true");
        command.addAll(classpathAndMain());
        command.add(taskFile.toString());
        return command;
    }

    /** The classpath of this JVM; inside a Spring Boot fat jar, its PropertiesLauncher with loader.main. */
    private static List<String> classpathAndMain() throws IOException {
        String classpath = System.getProperty("java.class.path");
        if (!classpath.contains(File.pathSeparator) && classpath.endsWith(".jar")) {
            try (JarFile jar = new JarFile(classpath)) {
                if (jar.getEntry("BOOT-INF/classes/") != null) {
                    return List.of("-cp", classpath, "-Dloader.main=" + WorkerMain.class.getName(),
                            "org.springframework.boot.loader.launch.PropertiesLauncher");
                }
            }
        }
        return List.of("-cp", classpath, WorkerMain.class.getName());
    }

    /**
     * Reads events until the worker's stdout closes; calls {@code onEvent} for each, and appends any other line to
     * {@code log}. Returns the exit code.
     */
    int pump(Consumer<WorkerEvent> onEvent, Path log) throws IOException, InterruptedException {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                OutputStream logOut = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            String line;
            while ((line = out.readLine()) != null) {
                Optional<WorkerEvent> event = WorkerJson.event(line);
                if (event.isPresent()) {
                    onEvent.accept(event.get());
                } else {
                    logOut.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return process.waitFor();
    }

    /** Asks the worker to stop after its current batch; kills it if it has not stopped after {@code graceSeconds}. */
    void cancel(int graceSeconds) {
        synchronized (stdin) {
            stdin.println("cancel");
        }
        Thread killer = new Thread(() -> {
            try {
                if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                    process.destroy();
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "worker-cancel-" + process.pid());
        killer.setDaemon(true);
        killer.start();
    }

    /** Waits until the process has exited (after {@link #close()}). */
    void awaitExit() throws InterruptedException {
        process.waitFor();
    }

    @Override
    public void close() {
        synchronized (stdin) {
            stdin.close();
        }
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
