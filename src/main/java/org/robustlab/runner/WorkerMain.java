package org.robustlab.runner;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import ai.djl.nn.Block;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.robustlab.ml.evaluation.Diagnostics;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.engine.EngineInfo;
import org.robustlab.ml.evaluation.RobustnessEvaluator;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.training.Cancellation;
import org.robustlab.ml.training.Checkpoints;
import org.robustlab.ml.training.EpochMetrics;
import org.robustlab.ml.training.TrainingListener;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingResult;

/**
 * The worker process: one job per JVM, because DJL's PyTorch engine allows one gradient collector
 * per process, and so that a native crash or an out-of-memory error fails the job, not the service.
 *
 * <p>Protocol. Argument: the path of a {@link WorkerTask} JSON file. Standard output carries events
 * as lines starting with {@value #PREFIX} followed by JSON; anything else is log. Standard input
 * carries commands: the line {@code cancel} stops the job after the current batch. When standard
 * input closes, the service is gone, and the worker exits at once (its checkpoints are written
 * atomically, so nothing is lost but the epoch in progress).
 */
public final class WorkerMain {

    public static final String PREFIX = "@@robustlab ";
    private static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().create();
    private static PrintStream events;

    private WorkerMain() {}

    public static void main(String[] args) throws Exception {
        events = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        WorkerTask task = GSON.fromJson(Files.readString(Path.of(args[0])), WorkerTask.class);
        Cancellation cancellation = new Cancellation();
        Thread stdin = new Thread(() -> watchStdin(cancellation), "stdin-watch");
        stdin.setDaemon(true);
        stdin.start();
        if (task.leaseSeconds() > 0) {
            Thread lease = new Thread(() -> watchLease(task.leaseSeconds()), "lease-watch");
            lease.setDaemon(true);
            lease.start();
        }
        Device device = Device.fromName(task.device());
        try {
            Map<String, Object> started = new LinkedHashMap<>();
            started.put("device", device.toString());
            started.put("pid", ProcessHandle.current().pid());
            EngineInfo engine = EngineInfo.read();
            started.put("libtorch", engine.libtorchVersion() + " (" + engine.flavor() + ") from " + engine.folder());
            started.put("gpus", engine.gpus());
            emit("started", started);
            if (device.isGpu() && engine.gpus() == 0) {
                throw new IllegalStateException("this worker was given " + device + ", but libtorch " + engine.libtorchVersion()
                        + " (" + engine.flavor() + ") sees no GPU; check robustlab.engine.* and the driver");
            }
            if (task.kind().equals("train")) {
                train(task, device, cancellation);
            } else {
                evaluate(task, device, cancellation);
            }
        } catch (CancellationException e) {
            emit("finished", Map.of("status", "CANCELLED", "reason", "cancelled"));
        } catch (Throwable e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            emit("finished", Map.of("status", "FAILED", "reason", reason));
            e.printStackTrace(System.err);
            System.exit(1);
        }
        System.exit(0);
    }

    private static void train(WorkerTask task, Device device, Cancellation cancellation) throws IOException {
        DatasetLocator locator = new DatasetLocator(Path.of(task.dataDir()), task.downloadDatasets());
        ImageDataset train = locator.load(task.plan().dataset(), true);
        TrainingResult result = new TrainingLoop(task.plan(), Path.of(task.runDir()), device)
                .optCancellation(cancellation)
                .optStopAfter(task.stopAfterEpochs())
                .optListener(new TrainingListener() {
                    private long lastBatchEvent;

                    @Override
                    public void onBatch(BatchProgress p) {
                        long now = System.nanoTime();
                        if (now - lastBatchEvent > 200_000_000L || p.batch() == p.batches()) {
                            lastBatchEvent = now;
                            emit("batch", p);
                        }
                    }

                    @Override
                    public void onEpoch(EpochMetrics m) {
                        emit("epoch", m);
                    }

                    @Override
                    public void onCheckpoint(Path directory, int epoch, boolean best) {
                        Map<String, Object> m = new LinkedHashMap<>();
                        m.put("directory", directory.toString());
                        m.put("epoch", epoch);
                        m.put("best", best);
                        emit("checkpoint", m);
                    }
                })
                .run(train);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", switch (result.status()) {
            case COMPLETED -> "SUCCEEDED";
            case CANCELLED -> "CANCELLED";
            case CATASTROPHIC_OVERFITTING -> "STOPPED";
            case DIVERGED -> "FAILED";
        });
        m.put("outcome", result.status().name());
        m.put("reason", result.reason());
        m.put("bestEpoch", result.bestEpoch());
        emit("finished", m);
    }

    private static void evaluate(WorkerTask task, Device device, Cancellation cancellation) throws Exception {
        long start = System.nanoTime();
        WorkerTask.EvaluationTask e = task.evaluation();
        DatasetId dataset = DatasetId.fromId(e.dataset());
        DatasetLocator locator = new DatasetLocator(Path.of(task.dataDir()), task.downloadDatasets());
        ImageDataset test = locator.load(dataset, false);
        if (e.testSubset() > 0) {
            test = test.first(e.testSubset());
        }
        ModelSpec spec = ModelSpec.of(Architecture.fromId(e.architecture()), dataset);
        List<Model> loaded = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(device); AutoCloseable models = () -> loaded.forEach(Model::close)) {
            Model model = Models.create(spec, manager);
            loaded.add(model);
            Checkpoints.restoreParameters(Path.of(e.parametersFile()), model);
            Map<String, Block> surrogates = new LinkedHashMap<>();
            if (e.surrogates() != null) {
                for (var s : e.surrogates().entrySet()) {
                    Model m = Models.create(ModelSpec.of(Architecture.fromId(s.getValue().architecture()), dataset), manager);
                    loaded.add(m);
                    Checkpoints.restoreParameters(Path.of(s.getValue().parametersFile()), m);
                    surrogates.put(s.getKey(), m.getBlock());
                }
            }
            RobustnessEvaluator evaluator = new RobustnessEvaluator(250, e.seed()).optSurrogates(surrogates);
            int units = evaluator.totalUnits(test, e.attacks());
            int total = units + (e.diagnostics() == null ? 0 : Diagnostics.STAGES);
            RobustnessReport report = evaluator
                    .optCancellation(cancellation::isCancelled)
                    .optProgress(done -> emit("progress", Map.of("done", done, "total", total)))
                    .evaluate(model.getBlock(), manager, test, e.attacks(), e.checkpoint());
            if (e.diagnostics() != null) {
                Diagnostics.Result d = new Diagnostics(250).optCancellation(cancellation::isCancelled)
                        .optProgress(stage -> emit("progress", Map.of("done", units + stage, "total", total)))
                        .run(model.getBlock(), manager, test, e.diagnostics());
                Path plots = Path.of(e.plotsDir());
                Files.createDirectories(plots);
                for (var p : d.pictures().entrySet()) {
                    Files.write(plots.resolve(p.getKey() + ".png"), p.getValue());
                }
                report = report.withDiagnostics(d.checks(), d.features(), List.copyOf(d.pictures().keySet()));
            }
            report = report.withSeconds((System.nanoTime() - start) / 1e9);
            Files.writeString(Path.of(e.reportFile()), GSON.toJson(finite(GSON.toJsonTree(report))));
            emit("finished", Map.of("status", "SUCCEEDED"));
        }
    }

    /**
     * The tree with every NaN or infinite number replaced by null: JSON has no such numbers, and a
     * degenerate model (all-zero features, NaN outputs) must still get a report that clients can parse.
     */
    static com.google.gson.JsonElement finite(com.google.gson.JsonElement e) {
        if (e.isJsonObject()) {
            for (var entry : e.getAsJsonObject().entrySet()) {
                entry.setValue(finite(entry.getValue()));
            }
        } else if (e.isJsonArray()) {
            com.google.gson.JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                a.set(i, finite(a.get(i)));
            }
        } else if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double v = e.getAsDouble();
            if (Double.isNaN(v) || Double.isInfinite(v)) {
                return com.google.gson.JsonNull.INSTANCE;
            }
        }
        return e;
    }

    private static volatile long lastHeard = System.nanoTime();

    /**
     * Ends the process when the service has been silent for {@code seconds}: it is paused, hung or cut off,
     * and may be declared dead, its job given to another instance; this worker must be gone by then.
     */
    private static void watchLease(int seconds) {
        while (true) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                return;
            }
            if (System.nanoTime() - lastHeard > seconds * 1_000_000_000L) {
                System.err.println("lease expired at " + java.time.Instant.now() + ": the service has not been heard from for "
                        + seconds + " s; stopping");
                System.err.flush();
                Runtime.getRuntime().halt(4);
            }
        }
    }

    private static void watchStdin(Cancellation cancellation) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                lastHeard = System.nanoTime();
                if (line.trim().equals("cancel")) {
                    cancellation.cancel();
                }
            }
        } catch (IOException ignored) {
            // treated as a closed stdin
        }
        // The service is gone: stop now, so that a restarted service never finds two workers on one job.
        Runtime.getRuntime().halt(3);
    }

    static synchronized void emit(String type, Object payload) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type);
        m.put("data", payload);
        events.println(PREFIX + GSON.toJson(m));
    }
}
