package org.robustlab.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.robustlab.artifact.ModelInspector;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.device.DevicePool;
import org.robustlab.device.NativeEngine;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.Problems;
import org.robustlab.worker.WorkerEvent;
import org.robustlab.worker.WorkerJson;
import org.robustlab.worker.WorkerMain;
import org.robustlab.worker.WorkerTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Checks a lab's TorchScript model in a worker process of its own, on the CPU, with the engine settings of workers that
 * run a lab's model (oneDNN capped where this CPU needs it), and kills it at the configured time limit. It takes no
 * device slot: it is one batch of forward and backward passes.
 */
@Component
class WorkerInspector implements ModelInspector {

    private static final Logger log = LoggerFactory.getLogger(WorkerInspector.class);
    /** Test points the checks run on: one batch. */
    static final int POINTS = 64;
    private static final String FAILED_CHECK = IllegalArgumentException.class.getSimpleName() + ": ";
    private static final String MALFORMED = ai.djl.MalformedModelException.class.getSimpleName() + ": ";

    private final RobustLabProperties properties;
    private final NativeEngine engine;

    WorkerInspector(RobustLabProperties properties, NativeEngine engine) {
        this.properties = properties;
        this.engine = engine;
    }

    @Override
    public Inspection inspect(Path archive, DatasetId dataset, int numClasses, float[] mean, float[] std) throws IOException {
        if (engine.info() == null) {
            throw new IOException("the PyTorch engine did not load on this instance: " + engine.loadError());
        }
        long start = System.nanoTime();
        Path dir = properties.runsDir().resolve("uploads").resolve(".inspect-" + UUID.randomUUID()).toAbsolutePath();
        Files.createDirectories(dir);
        Path result = dir.resolve("inspection.json");
        Path logFile = dir.resolve("worker.log");
        WorkerTask.EvaluationTask e = new WorkerTask.EvaluationTask(WorkerTask.TORCHSCRIPT, dataset.id(),
                archive.toAbsolutePath().toString(), "upload", List.of(), POINTS, 0, result.toString(), Map.of(), null, null,
                numClasses, mean, std);
        WorkerTask task = new WorkerTask("inspect", null, dir.toString(), properties.dataDir().toAbsolutePath().toString(),
                properties.downloadDatasets(), "cpu", e, 0, 0);
        Path taskFile = dir.resolve("task.json");
        Files.writeString(taskFile, WorkerJson.MAPPER.writeValueAsString(task));
        long limit = properties.limits().modelCheckTimeout().toMillis();
        ExecutorService pumping = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "model-check");
            t.setDaemon(true);
            return t;
        });
        try (WorkerProcess worker = WorkerProcess.start(taskFile, logFile, properties.workers(), engine.ownModelSettings(),
                new DevicePool.Slot(-1, ""), true)) {
            AtomicReference<WorkerEvent.Finished> finished = new AtomicReference<>();
            Future<Integer> exit = pumping.submit(() -> worker.pump(event -> {
                if (event instanceof WorkerEvent.Finished f) {
                    finished.set(f);
                }
            }, logFile));
            int code;
            try {
                code = exit.get(limit, TimeUnit.MILLISECONDS);
            } catch (TimeoutException t) {
                worker.close();
                throw new InvalidRequestException("file", "the model did not finish its checks (loading it and one forward and"
                        + " backward pass of " + POINTS + " test images on the CPU) within " + limit / 1000 + " s; this service"
                        + " takes models whose checks take less (robustlab.limits.model-check-timeout)");
            } catch (InterruptedException i) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while checking the model");
            } catch (ExecutionException x) {
                throw new IOException("the model's check could not be followed: " + x.getCause(), x.getCause());
            }
            WorkerEvent.Finished f = finished.get();
            if (f != null && f.status().equals("SUCCEEDED") && Files.isRegularFile(result)) {
                WorkerMain.Inspection r = WorkerJson.MAPPER.readValue(Files.readString(result), WorkerMain.Inspection.class);
                return new Inspection(r.check().parameters(), r.check().points(), r.check().accuracy(), r.check().meanAbsGradient(),
                        r.check().costPerImage(), r.check().forwardMicros(), r.formatVersion(), (System.nanoTime() - start) / 1e9);
            }
            if (f == null) {
                // libtorch aborted or the process died on the module: that is the model's doing
                log.warn("the check of an uploaded model ended with exit code {} and no result; its log:\n{}", code, tail(logFile));
                throw new InvalidRequestException("file", "the process checking the model ended abnormally (exit code " + code
                        + ") while loading or running it; check that it runs with torch.jit.load on the CPU");
            }
            String reason = f.reason() == null ? "" : Problems.withoutPaths(f.reason(), archive.getParent(), "upload");
            if (reason.startsWith(FAILED_CHECK) || reason.startsWith(MALFORMED)) {
                String what = reason.substring(reason.indexOf(": ") + 2);
                throw new InvalidRequestException("file", "the model failed its checks: " + what);
            }
            log.warn("the check of an uploaded model failed on the service's side: {}; its log:\n{}", reason, tail(logFile));
            throw new IOException("the model could not be checked: " + reason);
        } finally {
            pumping.shutdownNow();
            Checkpoints.deleteTree(dir);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
