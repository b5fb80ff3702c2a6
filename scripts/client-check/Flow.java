import java.io.File;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.robustlab.client.ApiClient;
import org.robustlab.client.ApiException;
import org.robustlab.client.ApiResponse;
import org.robustlab.client.api.ComparisonsApi;
import org.robustlab.client.api.DatasetsApi;
import org.robustlab.client.api.EvaluationsApi;
import org.robustlab.client.api.ModelsApi;
import org.robustlab.client.api.TrainingJobsApi;
import org.robustlab.client.model.AttackResult;
import org.robustlab.client.model.CatastrophicOverfittingRequest;
import org.robustlab.client.model.Comparison;
import org.robustlab.client.model.ComparisonRequest;
import org.robustlab.client.model.CreateEvaluationRequest;
import org.robustlab.client.model.CreateTrainingJobRequest;
import org.robustlab.client.model.DiagnosticsRequest;
import org.robustlab.client.model.EvaluationAttack;
import org.robustlab.client.model.EvaluationView;
import org.robustlab.client.model.ModelRef;
import org.robustlab.client.model.ModelView;
import org.robustlab.client.model.OptimizerRequest;
import org.robustlab.client.model.RobustnessReport;
import org.robustlab.client.model.ScheduleRequest;
import org.robustlab.client.model.TrainingAttack;
import org.robustlab.client.model.TrainingJobView;
import org.robustlab.client.model.ValidationRequest;

/**
 * The README's flow through the Java client that openapi-generator (java, native library) makes from the service's
 * OpenAPI document, used as generated. Run by scripts/client-check.sh, which sets ROBUSTLAB_URL and ROBUSTLAB_KEY.
 * The key goes in the X-API-Key header here (the TypeScript flow sends it as a bearer token).
 */
public class Flow {

    static final Set<String> ENDED = Set.of("SUCCEEDED", "FAILED", "CANCELLED", "STOPPED");

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError("check failed: " + what);
        }
        System.err.println("  ok: " + what);
    }

    public static void main(String[] args) throws Exception {
        String key = System.getenv("ROBUSTLAB_KEY");
        ApiClient client = new ApiClient();
        client.updateBaseUri(System.getenv("ROBUSTLAB_URL"));
        client.setRequestInterceptor(b -> b.header("X-API-Key", key));
        TrainingJobsApi jobs = new TrainingJobsApi(client);
        ModelsApi models = new ModelsApi(client);
        EvaluationsApi evaluations = new EvaluationsApi(client);
        ComparisonsApi comparisons = new ComparisonsApi(client);

        check(new DatasetsApi(client).listDatasets().stream().anyMatch(d -> d.getId().equals("fashion-mnist")
                && d.getStatus().equals("present")), "fashion-mnist is present");

        ApiResponse<TrainingJobView> submitted = jobs.submitTrainingJobWithHttpInfo(new CreateTrainingJobRequest()
                .name("java-client").dataset(CreateTrainingJobRequest.DatasetEnum.FASHION_MNIST).trainSubset(512)
                .model(CreateTrainingJobRequest.ModelEnum.SMALL_CNN).method(CreateTrainingJobRequest.MethodEnum.ARR)
                .lambda(1.0).divergence(CreateTrainingJobRequest.DivergenceEnum.KL)
                .attack(new TrainingAttack().type(TrainingAttack.TypeEnum.FGSM).epsilon(0.1)).epochs(1).batchSize(64)
                .optimizer(new OptimizerRequest().learningRate(0.05).momentum(0.9))
                .schedule(new ScheduleRequest().type(ScheduleRequest.TypeEnum.CONSTANT))
                .validation(new ValidationRequest().size(256).pgdSteps(2))
                .catastrophicOverfitting(new CatastrophicOverfittingRequest().enabled(false))
                .seed(7L).tags(Set.of("client-check", "java")));
        check(submitted.getStatusCode() == 202, "submit answers 202");
        TrainingJobView created = submitted.getData();
        check(submitted.getHeaders().get("location").get(0).endsWith("/api/v1/training-jobs/" + created.getId()), "Location names the job");

        TrainingJobView done = waitForJob(jobs, created.getId(), 10);
        check(done.getState() == TrainingJobView.StateEnum.SUCCEEDED, "the job succeeded (" + done.getState() + " " + done.getFailureReason() + ")");
        check(jobs.getTrainingJobMetrics(created.getId()).size() == 1, "one epoch of metrics");
        check(jobs.listTrainingJobs(null, null, null, "java", null, null, null).getContent().stream()
                .anyMatch(j -> j.getId().equals(created.getId())), "the job is listed under its tag");
        ModelRef last = done.getModels().stream().filter(m -> m.getKind().equals("last")).findFirst().orElseThrow();
        ModelView model = models.getModel(last.getId());
        check(model.getArchitecture().equals("small-cnn"), "the model's view");

        File file = models.downloadModel(last.getId(), "safetensors");
        check(Files.size(file.toPath()) == model.getSafetensorsSize(), "the download has the model's size");
        File named = new File(file.getParentFile(), "java-client-" + UUID.randomUUID() + ".safetensors");
        check(file.renameTo(named), "the download can be renamed");
        // numClasses is for TorchScript; mean and std given as the dataset's own (Fashion-MNIST's)
        ModelView uploaded = models.uploadModel(named, "small-cnn", "fashion-mnist", "java-upload", null, "0.286", "0.353");
        check(uploaded.getKind().equals("uploaded"), "the upload is a model of kind uploaded");
        check(uploaded.getNormalization().getSource().equals("upload"), "the upload states the normalisation it was given");

        EvaluationView evaluated = evaluations.submitEvaluation(new CreateEvaluationRequest().modelId(last.getId()).testSubset(32).seed(3L)
                .device(CreateEvaluationRequest.DeviceEnum.CPU)
                .attacks(List.of(
                        attack(EvaluationAttack.TypeEnum.FGSM),
                        attack(EvaluationAttack.TypeEnum.PGD).steps(5).stepSize(0.03).restarts(2).loss(EvaluationAttack.LossEnum.CW),
                        attack(EvaluationAttack.TypeEnum.APGD_CE).steps(5).restarts(1),
                        attack(EvaluationAttack.TypeEnum.APGD_DLR).steps(5),
                        attack(EvaluationAttack.TypeEnum.APGD_T).steps(5).targets(2),
                        attack(EvaluationAttack.TypeEnum.SQUARE).queries(20),
                        attack(EvaluationAttack.TypeEnum.TRANSFER).surrogateModelId(uploaded.getId())
                                .surrogateAttack(new EvaluationAttack().type(EvaluationAttack.TypeEnum.PGD).steps(5)),
                        attack(EvaluationAttack.TypeEnum.ENSEMBLE).steps(5).targets(2).queries(20)))
                .diagnostics(new DiagnosticsRequest().enabled(true).points(16).squareQueries(20).pictures(2)));
        EvaluationView ev = waitForEvaluation(evaluations, evaluated.getId(), 15);
        check(ev.getState() == EvaluationView.StateEnum.SUCCEEDED, "the evaluation succeeded (" + ev.getState() + " " + ev.getFailureReason() + ")");
        RobustnessReport report = evaluations.getEvaluationReport(evaluated.getId());
        check(report.getResults().size() == 8, "eight attacks in the report");
        for (AttackResult r : report.getResults()) {
            check(r.getRobustAccuracy() <= report.getCleanAccuracy() + 1e-9, r.getLabel() + " does not beat clean accuracy");
        }
        byte[] png = Files.readAllBytes(evaluations.getEvaluationPlot(evaluated.getId(), "accuracy-vs-epsilon").toPath());
        check(png.length > 8 && (png[0] & 0xff) == 0x89 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "the picture is a PNG");

        EvaluationView second = evaluations.submitEvaluation(new CreateEvaluationRequest().modelId(uploaded.getId()).testSubset(32)
                .attacks(List.of(attack(EvaluationAttack.TypeEnum.FGSM))).diagnostics(new DiagnosticsRequest().enabled(false)));
        check(waitForEvaluation(evaluations, second.getId(), 10).getState() == EvaluationView.StateEnum.SUCCEEDED,
                "the second evaluation succeeded");
        Comparison comparison = comparisons.compareEvaluations(new ComparisonRequest().evaluationIds(List.of(evaluated.getId(), second.getId())));
        check(comparison.getRows().size() == 2, "two rows in the comparison");

        TrainingJobView longJob = jobs.submitTrainingJob(new CreateTrainingJobRequest().dataset(CreateTrainingJobRequest.DatasetEnum.FASHION_MNIST)
                .trainSubset(5000).method(CreateTrainingJobRequest.MethodEnum.STANDARD).epochs(20));
        jobs.cancelTrainingJob(longJob.getId());
        check(waitForJob(jobs, longJob.getId(), 5).getState() == TrainingJobView.StateEnum.CANCELLED, "the job ends CANCELLED");
        EvaluationView slow = evaluations.submitEvaluation(new CreateEvaluationRequest().modelId(last.getId())
                .attacks(List.of(attack(EvaluationAttack.TypeEnum.SQUARE).queries(5000))));
        evaluations.cancelEvaluation(slow.getId());
        check(waitForEvaluation(evaluations, slow.getId(), 5).getState() == EvaluationView.StateEnum.CANCELLED, "the evaluation ends CANCELLED");

        try {
            jobs.submitTrainingJob(new CreateTrainingJobRequest().dataset(CreateTrainingJobRequest.DatasetEnum.FASHION_MNIST).epochs(0));
            check(false, "epochs: 0 is refused");
        } catch (ApiException e) {
            check(e.getCode() == 400, "epochs: 0 is a 400");
            check(e.getResponseBody().contains("\"field\":\"epochs\""), "the problem names the field epochs");
        }
        System.err.println("java client: the flow passed");
    }

    static EvaluationAttack attack(EvaluationAttack.TypeEnum type) {
        return new EvaluationAttack().type(type).epsilon(0.1);
    }

    static TrainingJobView waitForJob(TrainingJobsApi jobs, UUID id, int minutes) throws Exception {
        long deadline = System.nanoTime() + minutes * 60_000_000_000L;
        while (true) {
            TrainingJobView j = jobs.getTrainingJob(id);
            if (ENDED.contains(j.getState().getValue()) || System.nanoTime() > deadline) {
                return j;
            }
            Thread.sleep(1000);
        }
    }

    static EvaluationView waitForEvaluation(EvaluationsApi evaluations, UUID id, int minutes) throws Exception {
        long deadline = System.nanoTime() + minutes * 60_000_000_000L;
        while (true) {
            EvaluationView e = evaluations.getEvaluation(id);
            if (ENDED.contains(e.getState().getValue()) || System.nanoTime() > deadline) {
                return e;
            }
            Thread.sleep(1000);
        }
    }
}
