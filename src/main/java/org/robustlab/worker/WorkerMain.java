package org.robustlab.worker;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.engine.ConvolutionCheck;
import org.robustlab.ml.engine.EngineInfo;
import org.robustlab.ml.evaluation.Diagnostics;
import org.robustlab.ml.evaluation.ModelCheck;
import org.robustlab.ml.evaluation.RobustnessEvaluator;
import org.robustlab.ml.evaluation.RobustnessReport;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.TorchScript;
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
 * <p>Protocol ({@link WorkerJson}). Argument: the path of a {@link WorkerTask} JSON file. Standard output carries
 * {@link WorkerEvent}s, one per line after {@value WorkerJson#PREFIX}; anything else is log. Standard input
 * carries commands: the line {@code cancel} stops the job after the current batch. When standard
 * input closes, the service is gone, and the worker exits at once (its checkpoints are written
 * atomically, so nothing is lost but the epoch in progress).
 */
public final class WorkerMain {

    /** An evaluation's state while it runs, beside its report: a worker started again on it resumes where it was. */
    public static final String STATE_FILE = "state.json";

    /** The exit code of a worker that stopped because it had not heard from its service for its lease. */
    public static final int LEASE_EXPIRED = 4;
    /** The exit code of a worker whose service closed its standard input (the service is gone). */
    public static final int SERVICE_GONE = 3;
    private static PrintStream events;

    private WorkerMain() {}

    public static void main(String[] args) throws Exception {
        events = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        WorkerTask task = WorkerJson.MAPPER.readValue(Files.readString(Path.of(args[0])), WorkerTask.class);
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
            EngineInfo engine = EngineInfo.read();
            emit(new WorkerEvent.Started(device.toString(), ProcessHandle.current().pid(),
                    engine.libtorchVersion() + " (" + engine.flavor() + ") from " + engine.folder(), engine.gpus()));
            ConvolutionCheck convolutions = ConvolutionCheck.run(task.ownModel() ? ConvolutionCheck.ANY_CHANNELS
                    : ConvolutionCheck.BUILT_IN_CHANNELS);
            if (!convolutions.passed()) {
                // never compute figures with a libtorch that gets convolutions wrong
                throw new IllegalStateException(convolutions.advice());
            }
            if (device.isGpu() && engine.gpus() == 0) {
                throw new IllegalStateException("this worker was given " + device + ", but libtorch " + engine.libtorchVersion()
                        + " (" + engine.flavor() + ") sees no GPU; check robustlab.engine.* and the driver");
            }
            if (task.kind().equals("train")) {
                train(task, device, cancellation);
            } else if (task.kind().equals("inspect")) {
                inspect(task, device);
            } else {
                evaluate(task, device, cancellation);
            }
        } catch (CancellationException e) {
            emit(WorkerEvent.Finished.of("CANCELLED", "cancelled"));
        } catch (Throwable e) {
            String reason = e.getClass().getSimpleName() + ": " + e.getMessage();
            emit(WorkerEvent.Finished.of("FAILED", reason));
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
                            emit(new WorkerEvent.Batch(p.epoch(), p.epochs(), p.batch(), p.batches(), p.loss(), p.learningRate()));
                        }
                    }

                    @Override
                    public void onEpoch(EpochMetrics m) {
                        emit(new WorkerEvent.Epoch(m));
                    }

                    @Override
                    public void onCheckpoint(Path directory, int epoch, boolean best) {
                        emit(new WorkerEvent.Checkpoint(directory.toString(), epoch, best));
                    }
                })
                .run(train);
        String status = switch (result.status()) {
            case COMPLETED -> "SUCCEEDED";
            case CANCELLED -> "CANCELLED";
            case CATASTROPHIC_OVERFITTING -> "STOPPED";
            case DIVERGED -> "FAILED";
        };
        emit(new WorkerEvent.Finished(status, result.reason(), result.status().name(), result.bestEpoch()));
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
        List<Model> loaded = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager(device); AutoCloseable models = () -> loaded.forEach(Model::close)) {
            TorchScript.Loaded evaluated = load(e.architecture(), e.parametersFile(), dataset, e.mean(), e.std(), device, manager);
            loaded.add(evaluated.model());
            Block model = evaluated.block();
            Map<String, Block> surrogates = new LinkedHashMap<>();
            if (e.surrogates() != null) {
                for (var s : e.surrogates().entrySet()) {
                    WorkerTask.Surrogate g = s.getValue();
                    TorchScript.Loaded m = load(g.architecture(), g.parametersFile(), dataset, g.mean(), g.std(), device, manager);
                    loaded.add(m.model());
                    surrogates.put(s.getKey(), m.block());
                }
            }
            RobustnessEvaluator evaluator = new RobustnessEvaluator(250, e.seed()).optSurrogates(surrogates);
            int units = evaluator.totalUnits(test, e.attacks());
            int total = units + (e.diagnostics() == null ? 0 : Diagnostics.STAGES);
            Path folder = Path.of(e.reportFile()).getParent();
            Path state = folder.resolve(STATE_FILE);
            if (Files.exists(state)) {
                System.err.println("an earlier execution's state is here (" + STATE_FILE + "): the evaluation resumes where it stopped");
            }
            RobustnessEvaluator.Evaluation evaluation = evaluator
                    .optCancellation(cancellation::isCancelled)
                    .optProgress(done -> emit(new WorkerEvent.Progress(done, total)))
                    .optState(state)
                    .run(model, manager, test, e.attacks(), e.checkpoint());
            RobustnessReport report = evaluation.report();
            evaluation.examples().writeCsv(folder.resolve(ExampleRecord.FILE));
            if (e.diagnostics() != null) {
                Diagnostics.Result d = new Diagnostics(250).optCancellation(cancellation::isCancelled)
                        .optProgress(stage -> emit(new WorkerEvent.Progress(units + stage, total)))
                        .run(model, manager, test, e.diagnostics());
                Path plots = Path.of(e.plotsDir());
                Files.createDirectories(plots);
                for (var p : d.pictures().entrySet()) {
                    Files.write(plots.resolve(p.getKey() + ".png"), p.getValue());
                }
                report = report.withDiagnostics(d.checks(), d.features(), List.copyOf(d.pictures().keySet()));
            }
            report = report.withSeconds((System.nanoTime() - start) / 1e9).withNormalization(normalization(e, dataset));
            Files.writeString(Path.of(e.reportFile()), WorkerJson.MAPPER.writeValueAsString(WorkerJson.finite(report)));
            Files.deleteIfExists(state);
            emit(WorkerEvent.Finished.of("SUCCEEDED", null));
        }
    }

    /** The normalisation {@link #load} puts in front of the evaluated model. */
    static RobustnessReport.Normalization normalization(WorkerTask.EvaluationTask e, DatasetId dataset) {
        if (e.mean() != null) {
            return new RobustnessReport.Normalization(e.mean(), e.std(), "upload");
        }
        return WorkerTask.TORCHSCRIPT.equals(e.architecture()) ? new RobustnessReport.Normalization(null, null, "none")
                : new RobustnessReport.Normalization(dataset.mean(), dataset.std(), "dataset");
    }

    /**
     * A model and the block to attack: a built-in {@code architecture} with its DJL parameters in {@code file} (behind
     * {@code mean} and {@code std} when its upload gave them, else its dataset's), or a lab's TorchScript archive behind its
     * normalisation ({@code mean} and {@code std}, or none).
     */
    private static TorchScript.Loaded load(String architecture, String file, DatasetId dataset, float[] mean, float[] std,
            Device device, NDManager manager) throws Exception {
        if (WorkerTask.TORCHSCRIPT.equals(architecture)) {
            return TorchScript.load(Path.of(file), device, mean, std, dataset.shape().channels());
        }
        ModelSpec spec = mean == null ? ModelSpec.of(Architecture.fromId(architecture), dataset)
                : new ModelSpec(Architecture.fromId(architecture), dataset.shape(), dataset.numClasses(), mean, std);
        Model model = Models.create(spec, manager);
        Checkpoints.restoreParameters(Path.of(file), model);
        return new TorchScript.Loaded(model, model.getBlock());
    }

    /**
     * Checks a lab's TorchScript model on its dataset's first test points ({@link ModelCheck}) and writes what it measured
     * to the task's report file; a model that fails ends the worker FAILED with what is wrong.
     */
    private static void inspect(WorkerTask task, Device device) throws Exception {
        WorkerTask.EvaluationTask e = task.evaluation();
        DatasetId dataset = DatasetId.fromId(e.dataset());
        ImageDataset test = new DatasetLocator(Path.of(task.dataDir()), task.downloadDatasets()).load(dataset, false);
        TorchScript.Archive archive = TorchScript.archive(Path.of(e.parametersFile()));
        try (NDManager manager = NDManager.newBaseManager(device);
                TorchScript.Loaded model = TorchScript.load(Path.of(e.parametersFile()), device, e.mean(), e.std(),
                        test.shape().channels())) {
            ModelCheck.Result r = ModelCheck.run(model.block(), test, e.numClasses(), e.testSubset(), manager);
            Files.writeString(Path.of(e.reportFile()), WorkerJson.MAPPER.writeValueAsString(new Inspection(r, archive.formatVersion())));
        }
        emit(WorkerEvent.Finished.of("SUCCEEDED", null));
    }

    /** What {@code inspect} writes: the checks' figures and the archive's format version. */
    public record Inspection(ModelCheck.Result check, String formatVersion) {}

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
                System.err.println("lease expired at " + Instant.now() + ": the service has not been heard from for "
                        + seconds + " s; stopping");
                System.err.flush();
                Runtime.getRuntime().halt(LEASE_EXPIRED);
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
        Runtime.getRuntime().halt(SERVICE_GONE);
    }

    static synchronized void emit(WorkerEvent event) {
        events.println(WorkerJson.line(event));
    }
}
