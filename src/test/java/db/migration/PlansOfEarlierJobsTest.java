package db.migration;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;
import org.robustlab.evaluation.EvaluationPlan;
import org.robustlab.job.TrainingJobPlan;
import tools.jackson.databind.json.JsonMapper;

/** A database with a queued job and evaluation from before stored plans gets their plans; a bad request fails its job. */
class PlansOfEarlierJobsTest {

    @Test
    void queuedRowsGetThePlansTheirRequestsMake() throws Exception {
        String url = "jdbc:h2:mem:plans" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";
        Flyway.configure().dataSource(url, "sa", "").target("6").load().migrate();
        UUID job = UUID.randomUUID();
        UUID bad = UUID.randomUUID();
        UUID done = UUID.randomUUID();
        UUID model = UUID.randomUUID();
        UUID evaluation = UUID.randomUUID();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            String insert = "insert into training_job (id, state, method, dataset, model, request_json, epochs, created_at) values ('%s', '%s',"
                    + " 'arr', 'fashion-mnist', 'small-cnn', '%s', 2, current_timestamp)";
            s.execute(insert.formatted(job, "RUNNING", "{\"dataset\": \"fashion-mnist\", \"epochs\": 2, \"device\": \"cpu\"}"));
            s.execute(insert.formatted(bad, "QUEUED", "{\"dataset\": \"fashion-mnist\", \"method\": \"no-such-method\"}"));
            s.execute(insert.formatted(done, "SUCCEEDED", "{\"dataset\": \"fashion-mnist\"}"));
            s.execute("insert into model_artifact (id, kind, epoch, architecture, dataset, method, hyperparameters, djl_path, djl_sha256,"
                    + " djl_size, safetensors_path, safetensors_sha256, safetensors_size, created_at) values ('" + model
                    + "', 'uploaded', 0, 'small-cnn', 'fashion-mnist', 'standard', '{}', 'p', 's', 1, 'p', 's', 1, current_timestamp)");
            s.execute("insert into evaluation (id, model_id, state, request_json, created_at) values ('" + evaluation + "', '" + model
                    + "', 'QUEUED', '{\"modelId\": \"" + model + "\", \"testSubset\": 50, \"attacks\": [{\"type\": \"pgd\", \"epsilon\": 0.1}]}',"
                    + " current_timestamp)");
        }
        Flyway.configure().dataSource(url, "sa", "").load().migrate();
        JsonMapper json = JsonMapper.builder().build();
        try (Connection c = DriverManager.getConnection(url, "sa", ""); Statement s = c.createStatement()) {
            TrainingJobPlan plan = json.readValue(single(s, "select plan_json from training_job where id = '" + job + "'"), TrainingJobPlan.class);
            assertThat(plan.training().epochs()).isEqualTo(2);
            assertThat(plan.device()).isEqualTo("cpu");
            assertThat(single(s, "select state from training_job where id = '" + bad + "'")).isEqualTo("FAILED");
            assertThat(single(s, "select failure_reason from training_job where id = '" + bad + "'")).contains("no-such-method");
            assertThat(single(s, "select plan_json from training_job where id = '" + done + "'")).isNull();
            EvaluationPlan e = json.readValue(single(s, "select plan_json from evaluation where id = '" + evaluation + "'"), EvaluationPlan.class);
            assertThat(e.modelId()).isEqualTo(model);
            assertThat(e.testSubset()).isEqualTo(50);
            assertThat(e.attacks()).hasSize(1);
        }
    }

    private static String single(Statement s, String sql) throws Exception {
        try (ResultSet rs = s.executeQuery(sql)) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }
}
