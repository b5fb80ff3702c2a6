package org.robustlab.leaderboard;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.robustlab.artifact.ModelArtifact;
import org.robustlab.artifact.ModelArtifactRepository;
import org.robustlab.evaluation.BestKnown;
import org.robustlab.evaluation.EvaluationService;
import org.robustlab.evaluation.EvaluationView;
import org.robustlab.job.TrainingJob;
import org.robustlab.job.TrainingJobRepository;
import org.robustlab.security.Visibility;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/** The lab's leaderboard over every SUCCEEDED evaluation the caller may read. */
@RestController
@RequestMapping("/api/v1/leaderboard")
@Tag(name = "Comparisons", description = "Several evaluated models side by side")
class LeaderboardController {

    private final EvaluationService evaluations;
    private final ModelArtifactRepository models;
    private final TrainingJobRepository jobs;
    private final Visibility visibility;
    private final ObjectMapper json;

    LeaderboardController(EvaluationService evaluations, ModelArtifactRepository models, TrainingJobRepository jobs,
            Visibility visibility, ObjectMapper json) {
        this.evaluations = evaluations;
        this.models = models;
        this.jobs = jobs;
        this.visibility = visibility;
        this.json = json;
    }

    @GetMapping
    @Operation(operationId = "getLeaderboard", summary = "For each dataset and epsilon, every evaluated model ranked by its worst-case"
            + " accuracy under AutoAttack standard (with FAB-T) at its budget; models evaluated with less, or with the older ensemble"
            + " without FAB-T, are listed apart, unranked")
    Leaderboard.View get() {
        Map<UUID, JsonNode> reports = new LinkedHashMap<>();
        Map<UUID, Leaderboard.Model> byEvaluation = new LinkedHashMap<>();
        Map<UUID, Optional<ModelArtifact>> cache = new LinkedHashMap<>(); // deleted models are looked up once too
        Map<UUID, String> jobNames = new LinkedHashMap<>();
        Map<UUID, List<BestKnown>> bestKnown = new LinkedHashMap<>();
        for (EvaluationView e : evaluations.succeeded()) {
            if (e.report() == null) {
                continue;
            }
            ModelArtifact m = cache.computeIfAbsent(e.modelId(), models::findById).orElse(null);
            if (m == null || !visibility.canRead(m.getOwner())) {
                // a deleted model, or (private reads) another owner's, evaluated while reads were open
                continue;
            }
            reports.put(e.id(), json.valueToTree(e.report()));
            String jobName = m.getJobId() == null ? null : jobNames.computeIfAbsent(m.getJobId(),
                    id -> jobs.findById(id).filter(j -> visibility.canRead(j.getOwner())).map(TrainingJob::getName)
                            .orElse(null));
            byEvaluation.put(e.id(), new Leaderboard.Model(m.getId(), m.getJobId(), jobName, m.getKind(), m.getDataset(), m.getArchitecture(),
                    m.getMethod(), m.getOwner(), bestKnown.computeIfAbsent(m.getId(), evaluations::bestKnown)));
        }
        return Leaderboard.build(reports, byEvaluation);
    }
}
