package org.robustlab.retention;

import org.robustlab.execution.Locks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.robustlab.artifact.ArtifactStore;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.evaluation.EvaluationJob;
import org.robustlab.evaluation.EvaluationJobRepository;
import org.robustlab.problem.ConflictException;
import org.robustlab.execution.JobExecutionRepository;
import org.robustlab.problem.NotFoundException;
import org.robustlab.job.JobViewCache;
import org.robustlab.job.TrainingJob;
import org.robustlab.job.TrainingJobRepository;
import org.robustlab.security.Caller;
import org.robustlab.security.Visibility;
import org.robustlab.sweep.SweepMemberRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Deletes what a lab no longer needs: an evaluation, a model (with its evaluations) or a training job (with its
 * models, their evaluations, its metrics, executions, checkpoints and worker folder).
 *
 * <p>Only the owner or an admin deletes, and only what has ended: a queued or running job or evaluation is a 409
 * that says to cancel it first. A sweep keeps its members (its table is computed from them), so a sweep's job,
 * its models and evaluations are a 409 that names the sweep; so is a model that a queued or running evaluation
 * uses as its transfer surrogate, and a job that a queued or running job continues. The rows go in one
 * transaction (a concurrent change, such as a new evaluation of the model, makes it a 409 and nothing is
 * deleted); the files go after it commits, from the store and from this machine's runs folder. A file that could
 * not be removed is logged and left: it has no record, so nothing can read it.
 */
@Service
public class DeletionService {

    private static final Logger log = LoggerFactory.getLogger(DeletionService.class);

    private final TrainingJobRepository jobs;
    private final ModelArtifactRepository models;
    private final EvaluationJobRepository evaluations;
    private final JobExecutionRepository executions;
    private final SweepMemberRepository members;
    private final ArtifactStore artifacts;
    private final Visibility visibility;
    private final JobViewCache views;
    private final TransactionTemplate tx;
    private final Path runsDir;

    DeletionService(TrainingJobRepository jobs, ModelArtifactRepository models, EvaluationJobRepository evaluations,
            JobExecutionRepository executions, SweepMemberRepository members, ArtifactStore artifacts, Visibility visibility,
            JobViewCache views, TransactionTemplate tx, RobustLabProperties properties) {
        this.jobs = jobs;
        this.models = models;
        this.evaluations = evaluations;
        this.executions = executions;
        this.members = members;
        this.artifacts = artifacts;
        this.visibility = visibility;
        this.views = views;
        this.tx = tx;
        this.runsDir = properties.runsDir().toAbsolutePath().normalize();
    }

    /** Deletes an ended evaluation, its report and pictures. */
    public void deleteEvaluation(UUID id) {
        synchronized (Locks.forId(id)) {
            EvaluationJob e = evaluations.findById(id).filter(x -> visibility.canRead(x.getOwner()))
                    .orElseThrow(() -> NotFoundException.forId("evaluation", id));
            Caller.current().requireMayChange(e.getOwner(), "evaluation " + id);
            refuseActive(e);
            refuseSweep(members.sweepsWithEvaluation(like(id)), "evaluation " + id);
            inTransaction("evaluation " + id, () -> {
                executions.deleteByJob(id);
                evaluations.delete(e);
            });
            deleteEvaluationFiles(id);
            log.info("evaluation {} (owner {}) deleted by {}", id, e.getOwner(), Caller.current().name());
        }
    }

    /** Deletes a model, its files and every (ended) evaluation of it. */
    public void deleteModel(UUID id) {
        synchronized (Locks.forId(id)) {
            ModelArtifact m = models.findById(id).filter(x -> visibility.canRead(x.getOwner()))
                    .orElseThrow(() -> NotFoundException.forId("model", id));
            Caller.current().requireMayChange(m.getOwner(), "model " + id);
            if (m.getJobId() != null) {
                refuseSweep(members.sweepsWithJob(m.getJobId(), like(m.getJobId())), "model " + id + " (of training job " + m.getJobId() + ")");
            }
            List<EvaluationJob> evs = checkModel(m);
            inTransaction("model " + id, () -> deleteRows(m, evs));
            deleteModelFiles(m, evs);
            log.info("model {} (owner {}) and its {} evaluations deleted by {}", id, m.getOwner(), evs.size(), Caller.current().name());
        }
    }

    /** Deletes an ended training job with its models, their evaluations, its metrics, executions and files. */
    public void deleteTrainingJob(UUID id) {
        synchronized (Locks.forId(id)) {
            TrainingJob job = jobs.findById(id).filter(x -> visibility.canRead(x.getOwner()))
                    .orElseThrow(() -> NotFoundException.forId("training job", id));
            Caller.current().requireMayChange(job.getOwner(), "training job " + id);
            if (!job.execution().isTerminal()) {
                throw new ConflictException("training job " + id + " is " + job.execution().getState()
                        + "; cancel it first (POST /api/v1/training-jobs/" + id + "/cancel), then delete it once it has ended");
            }
            refuseSweep(members.sweepsWithJob(id, like(id)), "training job " + id);
            List<UUID> continuing = jobs.findByContinuesJob(id).stream().filter(j -> !j.execution().isTerminal()).map(TrainingJob::getId).toList();
            if (!continuing.isEmpty()) {
                throw new ConflictException("training job " + id + " is continued by training job " + continuing.get(0)
                        + ", which has not ended; delete it once that job has ended");
            }
            List<ModelArtifact> ms = models.findByJobIdOrderByKind(id);
            List<List<EvaluationJob>> evs = new ArrayList<>();
            for (ModelArtifact m : ms) {
                evs.add(checkModel(m));
            }
            inTransaction("training job " + id, () -> {
                for (int i = 0; i < ms.size(); i++) {
                    deleteRows(ms.get(i), evs.get(i));
                }
                executions.deleteByJob(id);
                jobs.delete(job); // its tags and epoch metrics go with it (on delete cascade)
            });
            views.evict(id);
            for (int i = 0; i < ms.size(); i++) {
                deleteModelFiles(ms.get(i), evs.get(i));
            }
            deleteStored("jobs/" + id + "/");
            deleteLocal(runsDir.resolve("jobs").resolve(id.toString()));
            log.info("training job {} (owner {}) deleted with {} models by {}", id, job.getOwner(), ms.size(), Caller.current().name());
        }
    }

    /** The model's evaluations, after checking that none is active and that no active evaluation uses it as a surrogate. */
    private List<EvaluationJob> checkModel(ModelArtifact m) {
        List<EvaluationJob> evs = evaluations.findByModelId(m.getId());
        for (EvaluationJob e : evs) {
            refuseActive(e);
            refuseSweep(members.sweepsWithEvaluation(like(e.getId())), "evaluation " + e.getId() + " of model " + m.getId());
        }
        List<UUID> surrogateOf = evaluations.activeNaming(m.getId(), like(m.getId()));
        if (!surrogateOf.isEmpty()) {
            throw new ConflictException("model " + m.getId() + " is the transfer surrogate of evaluation " + surrogateOf.get(0)
                    + ", which has not ended; delete it once that evaluation has ended");
        }
        return evs;
    }

    private void deleteRows(ModelArtifact m, List<EvaluationJob> evs) {
        for (EvaluationJob e : evs) {
            executions.deleteByJob(e.getId());
            evaluations.delete(e);
        }
        evaluations.flush();
        models.delete(m);
    }

    private static void refuseActive(EvaluationJob e) {
        if (!e.execution().isTerminal()) {
            throw new ConflictException("evaluation " + e.getId() + " is " + e.execution().getState()
                    + "; cancel it first (POST /api/v1/evaluations/" + e.getId() + "/cancel), then delete it once it has ended");
        }
    }

    private static void refuseSweep(List<UUID> sweeps, String what) {
        if (!sweeps.isEmpty()) {
            throw new ConflictException(what + " belongs to sweep " + sweeps.get(0)
                    + "; a sweep's jobs, models and evaluations are kept, because its results are computed from them");
        }
    }

    /** Runs the row deletions in one transaction; a concurrent change (a new evaluation of the model) is a 409. */
    private void inTransaction(String what, Runnable work) {
        try {
            tx.executeWithoutResult(status -> work.run());
        } catch (DataIntegrityViolationException e) {
            throw new ConflictException(what + " changed while it was being deleted (for example, a new evaluation of a model);"
                    + " nothing was deleted; look at it again and retry");
        }
    }

    private void deleteModelFiles(ModelArtifact m, List<EvaluationJob> evs) {
        for (EvaluationJob e : evs) {
            deleteEvaluationFiles(e.getId());
        }
        // the folder of its files in the store: models/ID/ for a trained model, uploads/ID/ for an upload
        for (ModelArtifact.StoredFile f : m.safetensors() == null ? List.of(m.djl()) : List.of(m.djl(), m.safetensors())) {
            int slash = f.path().lastIndexOf('/');
            if (!f.path().startsWith("/") && slash > 0) {
                deleteStored(f.path().substring(0, slash + 1));
            }
        }
        deleteLocal(runsDir.resolve("cache").resolve("models").resolve(m.getId().toString()));
    }

    private void deleteEvaluationFiles(UUID id) {
        deleteStored("evaluations/" + id + "/");
        deleteLocal(runsDir.resolve("evaluations").resolve(id.toString()));
    }

    /** Removes the objects under {@code prefix} (one resource's: it ends in its id and a slash) and, in a folder store, their folder. */
    private void deleteStored(String prefix) {
        try {
            artifacts.store().deleteAll(prefix);
            artifacts.store().localFile(prefix.substring(0, prefix.length() - 1)).ifPresent(this::deleteFolder);
        } catch (IOException | RuntimeException e) {
            log.warn("could not delete {} from the store ({}); its record is gone, so nothing reads it", prefix, e.toString());
        }
    }

    /** Removes a folder of this machine's runs folder and what is in it. */
    private void deleteLocal(Path dir) {
        if (dir.normalize().startsWith(runsDir)) {
            deleteFolder(dir);
        }
    }

    private void deleteFolder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.warn("could not delete {} ({}); its record is gone, so nothing reads it", dir, e.toString());
        }
    }

    private static String like(UUID id) {
        return "%" + id + "%";
    }
}
