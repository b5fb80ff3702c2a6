package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.training.TrainingLoop;
import org.robustlab.ml.training.TrainingMethod;
import org.robustlab.ml.training.TrainingPlan;
import org.robustlab.ml.training.TrainingResult;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Reports people can trust, end to end on the real server: upload two models trained outside the
 * service (safetensors, PyTorch layout), evaluate one with every attack type including a transfer
 * attack made on the other, read the report's masking checks, feature analysis and pictures, compare
 * the two, and render the HTML pages in headless Chromium (Debian's chromium and chromium-driver).
 */
class ReportFlowTest extends RealServerTest {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    static Path modelA;
    static Path modelB;

    @DynamicPropertySource
    static void reportProperties(DynamicPropertyRegistry r) {
        r.add("robustlab.workers.cancel-grace-seconds", () -> "5");
    }

    /** Two SmallCNNs trained here with the ML library, as a user would bring them from elsewhere. */
    @BeforeAll
    static void trainOutsideTheService() throws IOException {
        ImageDataset train = new DatasetLocator(dir.resolve("datasets"), false).load(DatasetId.FASHION_MNIST, true);
        modelA = train(train, 1);
        modelB = train(train, 2);
    }

    private static Path train(ImageDataset train, long seed) throws IOException {
        TrainingPlan plan = TrainingPlan.defaults(DatasetId.FASHION_MNIST, Architecture.SMALL_CNN, TrainingMethod.standard(), 1, 0.05f, 0.1f, seed)
                .withTrainSubset(2000).withValidationSize(200).withValidationPgdSteps(2);
        TrainingResult result = new TrainingLoop(plan, dir.resolve("outside-" + seed), Device.cpu()).run(train);
        assertThat(result.status()).isEqualTo(TrainingResult.Status.COMPLETED);
        return result.lastCheckpoint().resolve("model.safetensors");
    }


    @Test
    void uploadEvaluateWithEveryAttackReportCompareAndRender() throws Exception {
        // uploads: two good files, and bad ones that are refused with a 400 and leave nothing behind
        HttpResponse<String> a = upload(Files.readAllBytes(modelA), "a.safetensors", "small-cnn", "fashion-mnist");
        assertThat(a.statusCode()).as(a.body()).isEqualTo(201);
        JsonNode uploadedA = json.readTree(a.body());
        assertThat(uploadedA.get("kind").asString()).isEqualTo("uploaded");
        assertThat(a.headers().firstValue("Location")).hasValue("/api/v1/models/" + uploadedA.get("id").asString());
        String idA = uploadedA.get("id").asString();
        HttpResponse<String> b = upload(Files.readAllBytes(modelB), "b.safetensors", "small-cnn", "fashion-mnist");
        assertThat(b.statusCode()).as(b.body()).isEqualTo(201);
        String idB = json.readTree(b.body()).get("id").asString();
        // the same weights with their normalisation given explicitly: the file's own must agree with it
        float[] mean = DatasetId.FASHION_MNIST.mean();
        float[] std = DatasetId.FASHION_MNIST.std();
        HttpResponse<String> explicit = api.uploadModel(Files.readAllBytes(modelA), "a.safetensors", Map.of("model", "small-cnn",
                "dataset", "fashion-mnist", "mean", Float.toString(mean[0]), "std", Float.toString(std[0])));
        assertThat(explicit.statusCode()).as(explicit.body()).isEqualTo(201);
        assertThat(json.readTree(explicit.body()).get("normalization").get("source").asString()).isEqualTo("upload");
        String idExplicit = json.readTree(explicit.body()).get("id").asString();
        assertProblem(api.uploadModel(Files.readAllBytes(modelA), "a.safetensors", Map.of("model", "small-cnn",
                "dataset", "fashion-mnist", "mean", "0.5", "std", "0.5")), "file", "give mean and std with the upload");
        assertThat(uploadedA.get("normalization").get("source").asString()).isEqualTo("dataset");

        byte[] garbage = new byte[4096];
        new Random(1).nextBytes(garbage);
        assertProblem(upload(garbage, "x.safetensors", "small-cnn", "fashion-mnist"), "file", "not a safetensors file");
        assertProblem(upload(Files.readAllBytes(modelA), "a.safetensors", "resnet18", "fashion-mnist"), "file", "missing: ");
        assertProblem(upload(Files.readAllBytes(modelA), "a.safetensors", "small-cnn", "cifar10"), "model", "28x28");
        assertProblem(upload(Files.readAllBytes(modelA), "a.safetensors", "small-cnn", "mnist"), "file", "normalize");
        assertProblem(upload(Files.readAllBytes(modelA), "a.safetensors", "alexnet", "fashion-mnist"), "model", "small-cnn");
        assertProblem(upload(Files.readAllBytes(modelA), "a.safetensors", "small-cnn", "imagenet"), "dataset", "cifar10");
        assertThat(json.readTree(api.get("/api/v1/models").body()).get("content")).hasSize(3);
        try (Stream<Path> stored = Files.list(dir.resolve("runs").resolve("uploads"))) {
            assertThat(stored.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(idA, idB, idExplicit);
        }

        // bad evaluation requests
        assertProblem(api.post("/api/v1/evaluations", """
                {"modelId": "%s", "attacks": [{"type": "transfer", "epsilon": 0.1}]}""".formatted(idA)),
                "attacks[0].surrogateModelId", "surrogateModelId is required");
        assertProblem(api.post("/api/v1/evaluations", """
                {"modelId": "%s", "attacks": [{"type": "deepfool", "epsilon": 0.1}]}""".formatted(idA)),
                "attacks[0].type", "apgd-ce");
        assertProblem(api.post("/api/v1/evaluations", """
                {"modelId": "%s", "attacks": [{"type": "ensemble", "epsilon": 0.1, "version": "strongest"}]}""".formatted(idA)),
                "attacks[0].version", "standard, plus, rand, custom");
        assertThat(api.post("/api/v1/evaluations", """
                {"modelId": "%s", "attacks": [{"type": "transfer", "epsilon": 0.1, "surrogateModelId": "00000000-0000-0000-0000-000000000000"}]}"""
                .formatted(idA)).statusCode()).isEqualTo(404);

        String evalA = submit("""
                {"modelId": "%s", "testSubset": 200, "seed": 1,
                 "attacks": [{"type": "pgd", "epsilon": 0.1, "steps": 10}, {"type": "apgd-ce", "epsilon": 0.1, "steps": 20},
                             {"type": "apgd-t", "epsilon": 0.1, "steps": 10, "targets": 2},
                             {"type": "square", "epsilon": 0.1, "queries": 200},
                             {"type": "transfer", "epsilon": 0.1, "surrogateModelId": "%s", "surrogateAttack": {"type": "pgd", "steps": 10}},
                             {"type": "ensemble", "epsilon": 0.1, "steps": 20, "targets": 2, "queries": 200}],
                 "diagnostics": {"points": 100, "squareQueries": 300, "pictures": 6}}""".formatted(idA, idB));
        String evalB = submit("""
                {"modelId": "%s", "testSubset": 200, "seed": 1, "epsilons": [0.05, 0.1],
                 "attacks": [{"type": "pgd", "steps": 10}], "diagnostics": {"enabled": false}}""".formatted(idB));
        String evalExplicit = submit("""
                {"modelId": "%s", "testSubset": 200, "seed": 1, "attacks": [{"type": "fgsm", "epsilon": 0.1}],
                 "diagnostics": {"enabled": false}}""".formatted(idExplicit));
        JsonNode report = report(evalA);
        JsonNode reportB = report(evalB);
        // the report says what was in front of the network; the explicit normalisation is the one the worker applied
        assertThat(report.get("normalization").get("source").asString()).isEqualTo("dataset");
        assertThat(report.get("normalization").get("mean").get(0).asDouble()).isEqualTo(mean[0], within(1e-6));
        JsonNode reportExplicit = report(evalExplicit);
        assertThat(reportExplicit.get("normalization").get("source").asString()).isEqualTo("upload");
        assertThat(reportExplicit.get("cleanAccuracy").asDouble()).isEqualTo(report.get("cleanAccuracy").asDouble());

        assertThat(report.get("results")).hasSize(6);
        List<String> labels = new ArrayList<>();
        report.get("results").forEach(r -> labels.add(r.get("label").asString()));
        assertThat(labels).containsExactly("pgd-10", "apgd-ce-20", "apgd-t-10x2", "square-200", "transfer(pgd-10)", "ensemble");
        assertThat(report.get("results").get(4).get("attack").get("surrogate").asString()).isEqualTo(idB);
        double worst = report.get("worstCaseAccuracy").get(0).get("accuracy").asDouble();
        for (JsonNode r : report.get("results")) {
            assertThat(worst).isLessThanOrEqualTo(r.get("robustAccuracy").asDouble());
            assertThat(r.get("robustAccuracy").asDouble()).isLessThanOrEqualTo(report.get("cleanAccuracy").asDouble());
        }
        assertThat(report.get("maskingChecks")).hasSize(6);
        for (JsonNode c : report.get("maskingChecks")) {
            assertThat(c.get("name").asString()).isNotBlank();
            assertThat(c.get("passed").isBoolean()).isTrue();
            assertThat(c.get("detail").asString()).isNotBlank();
        }
        assertThat(report.get("featureAnalysis").get("dimension").asInt()).isEqualTo(200);
        assertThat(report.get("featureAnalysis").get("relativeFeatureChange").asDouble()).isPositive();
        assertThat(report.get("perClassAccuracy")).hasSize(10);
        assertThat(report.get("plots").toString()).isEqualTo("[\"adversarial-examples\",\"saliency\"]");
        assertThat(reportB.get("worstCaseAccuracy")).hasSize(2);
        assertThat(reportB.get("maskingChecks")).isEmpty();

        for (String name : List.of("accuracy-vs-epsilon", "adversarial-examples", "saliency")) {
            HttpResponse<byte[]> png = http.send(api.request("/api/v1/evaluations/" + evalA + "/plots/" + name + ".png").build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(png.statusCode()).isEqualTo(200);
            assertThat(png.headers().firstValue("Content-Type")).hasValue("image/png");
            assertThat(ImageIO.read(new ByteArrayInputStream(png.body())).getWidth()).as(name).isGreaterThan(100);
        }
        assertThat(api.get("/api/v1/evaluations/" + evalA + "/plots/nothing.png").statusCode()).isEqualTo(404);

        // the per-example record: one row per test point, and its robust points are the report's worst case
        HttpResponse<String> examples = api.get("/api/v1/evaluations/" + evalA + "/examples.csv");
        assertThat(examples.statusCode()).isEqualTo(200);
        assertThat(examples.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        List<String> rows = examples.body().lines().toList();
        assertThat(rows).hasSize(201);
        assertThat(rows.get(0)).isEqualTo("index,label,clean,clean_margin,broken_by@0.1,margin@0.1");
        long robust = rows.stream().skip(1).map(l -> l.split(",", -1)).filter(f -> f[2].equals("1") && f[4].isEmpty()).count();
        assertThat(robust / 200.0).isEqualTo(worst);
        assertThat(rows.stream().skip(1).map(l -> l.split(",", -1)[4]).filter(by -> !by.isEmpty()).distinct().toList())
                .allSatisfy(by -> assertThat(labels).contains(by));
        // a model's best-known figure: what every evaluation of it found, together
        JsonNode best = json.readTree(api.get("/api/v1/models/" + idA + "/best-known").body());
        assertThat(best).hasSize(1);
        assertThat(best.get(0).get("testPoints").asInt()).isEqualTo(200);
        assertThat(best.get(0).get("accuracy").asDouble()).isEqualTo(worst);
        assertThat(best.get(0).get("interval").get("lower").asDouble()).isLessThanOrEqualTo(worst);
        assertThat(api.get("/api/v1/evaluations/" + evalB + "/plots/saliency.png").statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/evaluations/00000000-0000-0000-0000-000000000000/report.html").statusCode()).isEqualTo(404);

        // comparison: JSON, HTML, chart; and its errors
        HttpResponse<String> cmp = api.post("/api/v1/comparisons", "{\"evaluationIds\": [\"" + evalA + "\", \"" + evalB + "\"]}");
        assertThat(cmp.statusCode()).as(cmp.body()).isEqualTo(200);
        JsonNode comparison = json.readTree(cmp.body());
        assertThat(comparison.get("rows")).hasSize(2);
        assertThat(comparison.get("rows").get(0).get("cleanAccuracy").asDouble()).isEqualTo(report.get("cleanAccuracy").asDouble());
        assertThat(comparison.get("rows").get(0).get("maskingChecksRun").asInt()).isEqualTo(6);
        // McNemar's test on the points both ran, at the epsilon both ran
        JsonNode significance = comparison.get("significance");
        assertThat(significance).hasSize(1);
        assertThat(significance.get(0).get("epsilon").asDouble()).isCloseTo(0.1, org.assertj.core.api.Assertions.within(1e-6));
        assertThat(significance.get(0).get("testPoints").asInt()).isEqualTo(200);
        assertThat(significance.get(0).get("pValue").asDouble()).isBetween(0.0, 1.0);
        // a browser's post for the page: not in the OpenAPI document (the documented page is getComparisonPage), so unchecked
        HttpResponse<String> cmpHtml = http.send(api.request("/api/v1/comparisons").header("Content-Type", "application/json")
                .header("Accept", "text/html").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"evaluationIds\": [\"" + evalA + "\", \"" + evalB + "\"]}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(cmpHtml.statusCode()).isEqualTo(200);
        assertThat(cmpHtml.body()).contains("<table id=\"comparison\"", "<table id=\"significance\"", "data-field=\"flags\"");
        assertProblem(api.post("/api/v1/comparisons", "{\"evaluationIds\": [\"" + evalA + "\"]}"), "evaluationIds", "evaluationIds");
        assertThat(api.post("/api/v1/comparisons", "{\"evaluationIds\": [\"" + evalA + "\", \"00000000-0000-0000-0000-000000000000\"]}")
                .statusCode()).isEqualTo(404);

        renderInChromium(evalA, report, comparison.get("html").asString());

        // a long evaluation is cancelled: it ends CANCELLED, and cancelling again is a 409
        String longEval = submit("""
                {"modelId": "%s", "testSubset": 1000, "attacks": [{"type": "ensemble", "epsilon": 0.1}]}""".formatted(idA));
        api.waitFor("/api/v1/evaluations/" + longEval, j -> j.get("state").asString().equals("RUNNING"), Duration.ofMinutes(6));
        HttpResponse<String> cancel = api.post("/api/v1/evaluations/" + longEval + "/cancel", "");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(200);
        JsonNode cancelled = api.waitFor("/api/v1/evaluations/" + longEval, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(6));
        assertThat(cancelled.get("state").asString()).as(cancelled.toString()).isEqualTo("CANCELLED");
        assertThat(api.post("/api/v1/evaluations/" + longEval + "/cancel", "").statusCode()).isEqualTo(409);
        assertThat(api.post("/api/v1/evaluations/" + evalA + "/cancel", "").statusCode()).isEqualTo(409);
    }

    /** The pages load in a real browser, every picture is a decoded image, and the tables show the report's numbers. */
    private void renderInChromium(String evalId, JsonNode report, String comparisonPath) {
        assertThat(new File(CHROMEDRIVER)).as("install Debian's chromium and chromium-driver (.ci/run does)").exists();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build();
        ChromeDriver browser = new ChromeDriver(service, options);
        try {
            // the browser sends the API key with every request of the pages, pictures included
            browser.executeCdpCommand("Network.enable", Map.of());
            browser.executeCdpCommand("Network.setExtraHTTPHeaders",
                    Map.of("headers", Map.of("Authorization", "Bearer " + api.key)));
            browser.get(api.uri("/api/v1/evaluations/" + evalId + "/report.html").toString());
            assertThat(browser.getTitle()).contains("Robustness report");
            assertImagesLoaded(browser, 3);
            assertThat(browser.findElement(By.cssSelector("[data-field=cleanAccuracy]")).getText())
                    .isEqualTo(frac(report.get("cleanAccuracy").asDouble()));
            List<String> shown = browser.findElements(By.cssSelector("#results [data-field=robustAccuracy]")).stream()
                    .map(WebElement::getText).toList();
            List<String> expected = new ArrayList<>();
            report.get("results").forEach(r -> expected.add(frac(r.get("robustAccuracy").asDouble())));
            assertThat(shown).containsExactlyElementsOf(expected);
            assertThat(browser.findElement(By.cssSelector("#worst-case [data-field=worstCaseAccuracy]")).getText())
                    .isEqualTo(frac(report.get("worstCaseAccuracy").get(0).get("accuracy").asDouble()));
            List<String> checks = browser.findElements(By.cssSelector("#masking-checks [data-field=passed]")).stream()
                    .map(WebElement::getText).toList();
            List<String> expectedChecks = new ArrayList<>();
            report.get("maskingChecks").forEach(c -> expectedChecks.add(c.get("passed").asBoolean() ? "passed" : "FAILED"));
            assertThat(checks).containsExactlyElementsOf(expectedChecks);
            // every accuracy with its 95% interval, and AutoAttack's own checks beside the masking checks
            List<String> intervals = browser.findElements(By.cssSelector("#results [data-field=interval]")).stream()
                    .map(WebElement::getText).toList();
            assertThat(intervals).hasSize(report.get("results").size() + 1);
            assertThat(intervals.get(0)).isEqualTo("[" + frac(report.get("cleanInterval").get("lower").asDouble()) + ", "
                    + frac(report.get("cleanInterval").get("upper").asDouble()) + "]");
            List<String> autoAttack = browser.findElements(By.cssSelector("#autoattack-checks [data-field=passed]")).stream()
                    .map(WebElement::getText).toList();
            List<String> expectedAutoAttack = new ArrayList<>();
            report.get("autoAttackChecks").forEach(c -> expectedAutoAttack.add(c.get("passed").asBoolean() ? "passed" : "FAILED"));
            assertThat(autoAttack).isNotEmpty().containsExactlyElementsOf(expectedAutoAttack);
            assertThat(browser.findElement(By.cssSelector("[data-field=relativeFeatureChange]")).getText())
                    .isEqualTo(frac(report.get("featureAnalysis").get("relativeFeatureChange").asDouble()));

            browser.get(api.uri(comparisonPath).toString());
            assertImagesLoaded(browser, 1);
            assertThat(browser.findElements(By.cssSelector("#comparison tr[data-evaluation]"))).hasSize(2);
        } finally {
            browser.quit();
        }
    }

    private static void assertImagesLoaded(WebDriver browser, int expected) {
        List<WebElement> images = browser.findElements(By.tagName("img"));
        assertThat(images).hasSize(expected);
        for (WebElement img : images) {
            Object ok = ((JavascriptExecutor) browser).executeScript(
                    "return arguments[0].complete && arguments[0].naturalWidth > 100 && arguments[0].naturalHeight > 50;", img);
            assertThat(ok).as("picture %s is a decoded image", img.getAttribute("src")).isEqualTo(true);
        }
    }

    private static String frac(double v) {
        return String.format(Locale.ROOT, "%.4f", v);
    }

    private void assertProblem(HttpResponse<String> response, String field, String detailPart) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode p = json.readTree(response.body());
        assertThat(p.get("field").asString()).isEqualTo(field);
        assertThat(p.get("detail").asString()).contains(detailPart);
    }

    private String submit(String body) throws Exception {
        HttpResponse<String> r = api.post("/api/v1/evaluations", body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        return json.readTree(r.body()).get("id").asString();
    }

    private JsonNode report(String evalId) throws Exception {
        JsonNode done = api.waitFor("/api/v1/evaluations/" + evalId, j -> j.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(6));
        assertThat(done.get("state").asString()).as(done.toString()).isEqualTo("SUCCEEDED");
        return json.readTree(api.get("/api/v1/evaluations/" + evalId + "/report").body());
    }

    private HttpResponse<String> upload(byte[] file, String filename, String model, String dataset) throws Exception {
        return api.uploadModel(file, filename, Map.of("model", model, "dataset", dataset));
    }

}
