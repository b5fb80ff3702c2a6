package db.migration;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.robustlab.evaluation.CreateEvaluationRequest;
import org.robustlab.evaluation.EvaluationPlans;
import org.robustlab.job.CreateTrainingJobRequest;
import org.robustlab.job.TrainingJobPlan;
import org.robustlab.job.TrainingPlans;
import tools.jackson.databind.json.JsonMapper;

/**
 * Jobs and evaluations still queued or running when V6 added stored plans get theirs, made from their stored
 * requests as their submission would have made them (their checks passed then); one whose request no longer makes a
 * plan fails with the reason. Ended ones never run again and keep none.
 */
public class V7__PlansOfEarlierJobs extends BaseJavaMigration {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public void migrate(Context context) throws Exception {
        Connection c = context.getConnection();
        Map<String, String> training = rows(c, "select id, request_json from training_job where state in ('QUEUED', 'RUNNING')"
                + " and plan_json is null");
        for (var row : training.entrySet()) {
            CreateTrainingJobRequest r = JSON.readValue(row.getValue(), CreateTrainingJobRequest.class);
            write(c, "training_job", row.getKey(), () -> JSON.writeValueAsString(new TrainingJobPlan(TrainingPlans.from(r), r.device())));
        }
        Map<String, String> evaluations = rows(c, "select id, request_json from evaluation where state in ('QUEUED', 'RUNNING')"
                + " and plan_json is null");
        for (var row : evaluations.entrySet()) {
            CreateEvaluationRequest r = JSON.readValue(row.getValue(), CreateEvaluationRequest.class);
            write(c, "evaluation", row.getKey(), () -> JSON.writeValueAsString(EvaluationPlans.planOf(r, r.modelId())));
        }
    }

    private static Map<String, String> rows(Connection c, String sql) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    interface Plan {
        String json();
    }

    private static void write(Connection c, String table, String id, Plan plan) throws Exception {
        String json;
        try {
            json = plan.json();
        } catch (RuntimeException e) {
            try (PreparedStatement s = c.prepareStatement("update " + table + " set state = 'FAILED', failure_reason = ?,"
                    + " finished_at = current_timestamp where id = ?")) {
                s.setString(1, "its request no longer makes a plan after the upgrade: " + e.getMessage());
                s.setObject(2, UUID.fromString(id));
                s.executeUpdate();
            }
            return;
        }
        try (PreparedStatement s = c.prepareStatement("update " + table + " set plan_json = ? where id = ?")) {
            s.setString(1, json);
            s.setObject(2, UUID.fromString(id));
            s.executeUpdate();
        }
    }
}
