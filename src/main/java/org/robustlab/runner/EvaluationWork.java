package org.robustlab.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.robustlab.artifact.ArtifactStore;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.evaluation.EvaluationJob;
import org.robustlab.evaluation.EvaluationPlan;
import org.robustlab.evaluation.EvaluationStore;
import org.robustlab.ml.evaluation.ExampleRecord;
import org.robustlab.execution.JobState;
import org.robustlab.worker.WorkerEvent;
import org.robustlab.worker.WorkerTask;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * An evaluation under the supervisor: its worker attacks the model (and any surrogates), fetched from the artifact
 * store and checked against their SHA-256; at the end its report is stored with the evaluation and its pictures in
 * the store.
 */
@Component
class EvaluationWork extends Work<EvaluationJob, EvaluationPlan> {

    private final ModelArtifactRepository models;
    private final ArtifactStore artifacts;
    private final RobustLabProperties properties;
    private final ObjectMapper json;

    EvaluationWork(EvaluationStore store, ModelArtifactRepository models, ArtifactStore artifacts, RobustLabProperties properties,
            ObjectMapper json) {
        super(store, json, EvaluationPlan.class);
        this.json = json;
        this.models = models;
        this.artifacts = artifacts;
        this.properties = properties;
    }

    @Override
    String device(EvaluationPlan plan) {
        return plan.device();
    }

    @Override
    String architecture(EvaluationJob job) {
        return models.findById(job.getModelId()).map(ModelArtifact::getArchitecture).orElse(null);
    }

    @Override
    Run<EvaluationJob> open(EvaluationJob job, EvaluationPlan plan, Start start) throws IOException, CannotRunException {
        ModelArtifact model = model(plan.modelId(), "model");
        Path dir = properties.runsDir().resolve("evaluations").resolve(start.id().toString()).toAbsolutePath();
        Files.createDirectories(dir);
        Path report = dir.resolve("report.json");
        Files.deleteIfExists(report);
        // the model and any surrogate, from the store, checked against their SHA-256
        Map<String, WorkerTask.Surrogate> surrogates = new LinkedHashMap<>();
        for (UUID id : plan.surrogates()) {
            ModelArtifact s = model(id, "surrogate model");
            float[][] n = normalization(s);
            surrogates.put(id.toString(), new WorkerTask.Surrogate(s.getArchitecture(), (s.isTorchScript() ? artifacts.localFile(s)
                    : artifacts.localFolder(s)).toString(), n[0], n[1]));
        }
        String checkpoint = "model " + model.getId() + " (" + model.getKind() + ", epoch " + model.getEpoch()
                + (model.getJobId() == null ? "" : ", job " + model.getJobId()) + ")";
        float[][] normalization = normalization(model);
        WorkerTask.EvaluationTask evaluation = new WorkerTask.EvaluationTask(model.getArchitecture(), model.getDataset(),
                (model.isTorchScript() ? artifacts.localFile(model) : artifacts.localFolder(model)).toString(), checkpoint,
                plan.attacks(), plan.testSubset(), plan.seed(), report.toString(), surrogates, plan.diagnostics(),
                dir.resolve("plots").toString(), model.getNumClasses() == null ? 0 : model.getNumClasses(), normalization[0],
                normalization[1]);
        WorkerTask task = new WorkerTask("evaluate", null, dir.toString(), properties.dataDir().toAbsolutePath().toString(),
                properties.downloadDatasets(), start.slot().workerDevice(), evaluation, SchedulerConfig.WORKER_LEASE_SECONDS, 0);
        return new EvaluationRun(start.id(), dir, task);
    }

    /** A TorchScript model's mean and std, or two nulls. */
    private float[][] normalization(ModelArtifact model) {
        if (model.getNormalization() == null) {
            return new float[2][];
        }
        JsonNode n = json.readTree(model.getNormalization());
        return new float[][] {floats(n.get("mean")), floats(n.get("std"))};
    }

    private static float[] floats(JsonNode array) {
        float[] out = new float[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) array.get(i).asDouble();
        }
        return out;
    }

    private ModelArtifact model(UUID id, String what) throws CannotRunException {
        return models.findById(id).orElseThrow(() -> new CannotRunException("the " + what + " " + id + " no longer exists"));
    }

    private final class EvaluationRun extends Run<EvaluationJob> {
        private final UUID id;

        EvaluationRun(UUID id, Path dir, WorkerTask task) {
            super(task, dir);
            this.id = id;
        }

        @Override
        void progress(EvaluationJob row, WorkerEvent event, Instant now) {
            WorkerEvent.Progress p = (WorkerEvent.Progress) event;
            row.execution().setPercent(100.0 * p.done() / p.total());
        }

        @Override
        Ending<EvaluationJob> complete(JobState state, String reason) throws IOException {
            if (state != JobState.SUCCEEDED) {
                return Ending.as(state, reason);
            }
            Path report = folder.resolve("report.json");
            if (!Files.isRegularFile(report)) {
                return Ending.as(JobState.FAILED, "the worker reported success but wrote no report; see its log, " + folder.resolve("worker.log"));
            }
            storePlots(folder.resolve("plots"));
            storeExamples(folder.resolve(ExampleRecord.FILE));
            String reportJson = Files.readString(report);
            return new Ending<>(state, null, row -> row.setReportJson(reportJson));
        }

        /** The per-example record goes to the store (unless the store is the runs folder, where it already is). */
        private void storeExamples(Path examples) throws IOException {
            if (!artifacts.storeIsRunsDir() && Files.isRegularFile(examples)) {
                artifacts.store().put("evaluations/" + id + "/" + ExampleRecord.FILE, examples);
            }
        }

        /** The report's pictures go to the store (unless the store is the runs folder, where they already are). */
        private void storePlots(Path plots) throws IOException {
            if (artifacts.storeIsRunsDir() || !Files.isDirectory(plots)) {
                return;
            }
            try (Stream<Path> files = Files.list(plots)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".png")).toList()) {
                    artifacts.store().put("evaluations/" + id + "/plots/" + f.getFileName(), f);
                }
            }
        }
    }
}
