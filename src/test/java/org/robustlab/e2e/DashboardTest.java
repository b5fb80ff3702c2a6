package org.robustlab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard in headless Chromium (Debian's chromium and chromium-driver), signed in with an API key through
 * /signin as a person would: a job submitted from the form (after a refused value whose message appears beside
 * its field), its progress bar and curves updating while it trains, its model evaluated from the form with the
 * standard ensemble, the report opened, two evaluations compared with checkboxes, a sweep's page with its
 * charts, and the leaderboard ranking the ensemble-evaluated model apart from the weaker ones. Screenshots go to
 * target/dashboard/.
 */
class DashboardTest extends RealServerTest {

    private static final String CHROMIUM = "/usr/bin/chromium";
    private static final String CHROMEDRIVER = "/usr/bin/chromedriver";

    static final String SWEEP = """
            {"name": "dashboard sweep",
             "base": {"dataset": "fashion-mnist", "trainSubset": 256, "model": "small-cnn", "method": "arr", "epochs": 1,
                      "batchSize": 64, "attack": {"type": "fgsm", "epsilon": 0.1}, "validation": {"size": 100, "pgdSteps": 2}},
             "grid": {"lambda": [0.5, 2]},
             "evaluation": {"request": {"testSubset": 100, "attacks": [{"type": "pgd", "epsilon": 0.1, "steps": 5}],
                                        "diagnostics": {"enabled": false}}}}""";

    @Test
    void aResearcherTrainsWatchesEvaluatesComparesAndRanksInTheBrowser() throws Exception {
        HttpResponse<String> created = api.post("/api/v1/sweeps", SWEEP);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(202);
        String sweep = json.readTree(created.body()).get("id").asString();

        assertThat(new File(CHROMEDRIVER)).as("install Debian's chromium and chromium-driver (.ci/run does)").exists();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(CHROMEDRIVER)).build();
        ChromeDriver browser = new ChromeDriver(service, options);
        Path shots = Path.of("target", "dashboard");
        Files.createDirectories(shots);
        try {
            // not signed in: the dashboard sends the browser to /signin, which takes the key and comes back
            browser.get(api.uri("/").toString());
            until(Duration.ofSeconds(30), () -> browser.getCurrentUrl().contains("/signin"), "the sign-in page");
            browser.findElement(By.name("key")).sendKeys(api.key);
            browser.findElement(By.cssSelector("form button")).click();
            until(Duration.ofSeconds(30), () -> !browser.findElements(By.id("jobs")).isEmpty(), "the jobs list after signing in");

            // the form: a refused value shows the API's message beside its field, and nothing is submitted
            browser.get(api.uri("/#/submit").toString());
            until(Duration.ofSeconds(30), () -> !browser.findElements(By.id("train-form")).isEmpty(), "the training form");
            WebElement form = browser.findElement(By.id("train-form"));
            field(form, "name").sendKeys("from the dashboard");
            field(form, "trainSubset").sendKeys("3000");
            choose(form, "attack.type", "fgsm");
            field(form, "attack.epsilon").sendKeys("5");
            field(form, "epochs").sendKeys("3");
            field(form, "batchSize").sendKeys("64");
            field(form, "validation.size").sendKeys("200");
            field(form, "validation.pgdSteps").sendKeys("3");
            form.findElement(By.cssSelector("button[type=submit]")).click();
            until(Duration.ofSeconds(30), () -> !error(browser, "attack.epsilon").isEmpty(), "the epsilon message beside its field");
            assertThat(error(browser, "attack.epsilon")).contains("1");
            assertThat(error(browser, "epochs")).isEmpty();
            shot(browser, shots, "dashboard-form-error");
            assertThat(json.readTree(api.get("/api/v1/training-jobs").body()).get("content").toString()).doesNotContain("from the dashboard");

            field(form, "attack.epsilon").clear();
            field(form, "attack.epsilon").sendKeys("0.1");
            form.findElement(By.cssSelector("button[type=submit]")).click();
            until(Duration.ofSeconds(30), () -> browser.getCurrentUrl().matches(".*#/jobs/[0-9a-f-]{36}$"), "the new job's page");
            String job = browser.getCurrentUrl().replaceAll(".*#/jobs/", "");

            // while it trains: the progress bar moves and the curves gain points, without reloading the page
            List<Double> progress = new ArrayList<>();
            int[] points = {0};
            boolean[] curveWhileRunning = {false};
            until(Duration.ofMinutes(15), () -> {
                String state = text(browser, "[data-role=state]");
                double value = Double.parseDouble(attr(browser, "#job-progress", "value", "0"));
                if (state.equals("RUNNING") && (progress.isEmpty() || progress.get(progress.size() - 1) != value)) {
                    progress.add(value);
                }
                int p = Integer.parseInt(attr(browser, "svg[data-chart=accuracy]", "data-points", "0"));
                if (p > points[0] && state.equals("RUNNING")) {
                    curveWhileRunning[0] = true;
                    if (points[0] == 0) {
                        shot(browser, shots, "dashboard-job-training");
                    }
                }
                points[0] = Math.max(points[0], p);
                return state.matches("SUCCEEDED|FAILED|CANCELLED|STOPPED");
            }, "the job to end");
            assertThat(text(browser, "[data-role=state]")).isEqualTo("SUCCEEDED");
            assertThat(progress).as("progress values seen while RUNNING").hasSizeGreaterThanOrEqualTo(3);
            assertThat(curveWhileRunning[0]).as("a curve gained points while the job ran").isTrue();
            until(Duration.ofSeconds(30), () -> attr(browser, "svg[data-chart=accuracy]", "data-points", "0").equals("9"),
                    "three epochs of three accuracy curves");
            assertThat(browser.findElements(By.cssSelector("#metrics tr"))).hasSize(4);
            assertThat(browser.findElements(By.cssSelector("#models a[href*='download?format=safetensors']"))).hasSize(2);
            shot(browser, shots, "dashboard-job");

            // its model evaluated from the form with PGD (ticked by default) and the standard ensemble (the defaults:
            // 100 steps, 9 targets, 5000 queries); first with an epsilon out of range in the list
            browser.findElement(By.cssSelector("#models a[href^='#/evaluate']")).click();
            until(Duration.ofSeconds(30), () -> !browser.findElements(By.id("evaluate-form")).isEmpty(), "the evaluation form");
            WebElement ev = browser.findElement(By.id("evaluate-form"));
            String model = field(ev, "modelId").getAttribute("value");
            assertThat(model).hasSize(36);
            field(ev, "testSubset").clear();
            field(ev, "testSubset").sendKeys("20");
            ev.findElement(By.cssSelector("input[name='attacks.type'][value='ensemble']")).click();
            field(ev, "epsilons").clear();
            field(ev, "epsilons").sendKeys("0.1, 2");
            ev.findElement(By.cssSelector("button[type=submit]")).click();
            until(Duration.ofSeconds(30), () -> !error(browser, "epsilons").isEmpty(), "the epsilons message beside its field");
            assertThat(error(browser, "epsilons")).contains("1");
            assertThat(json.readTree(api.get("/api/v1/evaluations?modelId=" + model).body()).get("content")).isEmpty();
            field(ev, "epsilons").clear();
            field(ev, "epsilons").sendKeys("0.1");
            ev.findElement(By.cssSelector("button[type=submit]")).click();
            until(Duration.ofSeconds(30), () -> browser.getCurrentUrl().matches(".*#/evaluations/[0-9a-f-]{36}$"), "the evaluation's page");
            String evaluation = browser.getCurrentUrl().replaceAll(".*#/evaluations/", "");
            JsonNode asked = json.readTree(api.get("/api/v1/evaluations/" + evaluation).body()).get("request");
            List<String> types = new ArrayList<>();
            asked.get("attacks").forEach(a -> types.add(a.get("type").asString()));
            assertThat(types).containsExactly("pgd", "ensemble");
            assertThat(asked.get("epsilons").toString()).isEqualTo("[0.1]");
            until(Duration.ofMinutes(15), () -> !browser.findElements(By.id("report-link")).isEmpty(), "the evaluation's report");
            browser.findElement(By.id("report-link")).click();
            until(Duration.ofSeconds(30), () -> browser.getTitle().contains("Robustness report"), "the report page");

            // two evaluations compared by ticking their boxes
            api.waitFor("/api/v1/sweeps/" + sweep, s -> s.get("state").asString().matches("SUCCEEDED|FAILED|CANCELLED"), Duration.ofMinutes(20));
            browser.get(api.uri("/#/evaluations").toString());
            until(Duration.ofSeconds(30), () -> browser.findElements(By.cssSelector("input[name=pick]")).size() >= 3, "three finished evaluations");
            List<WebElement> boxes = browser.findElements(By.cssSelector("input[name=pick]"));
            boxes.get(0).click();
            boxes.get(1).click();
            shot(browser, shots, "dashboard-evaluations");
            browser.findElement(By.id("compare")).click();
            until(Duration.ofSeconds(30), () -> browser.getCurrentUrl().contains("/comparisons/report.html"), "the comparison page");
            assertThat(browser.findElements(By.cssSelector("#comparison tr[data-evaluation]"))).hasSize(2);
            shot(browser, shots, "dashboard-comparison");

            // the sweep's page, its table and charts
            browser.get(api.uri("/#/sweeps/" + sweep).toString());
            until(Duration.ofSeconds(30), () -> browser.findElements(By.cssSelector("img[data-chart]")).size() == 3, "the sweep's charts");
            until(Duration.ofSeconds(30), () -> browser.findElements(By.cssSelector("img[data-chart]")).stream().allMatch(img -> loaded(browser, img)),
                    "the sweep's charts to load");
            assertThat(browser.findElements(By.cssSelector("#sweep-results tr"))).hasSize(3);
            shot(browser, shots, "dashboard-sweep");

            // the leaderboard: the ensemble-evaluated model ranked, the PGD-evaluated ones apart
            browser.get(api.uri("/#/leaderboard").toString());
            until(Duration.ofSeconds(30), () -> !browser.findElements(By.cssSelector("section[data-board]")).isEmpty(), "the leaderboard");
            WebElement board = browser.findElement(By.cssSelector("section[data-board='fashion-mnist@0.1']"));
            assertThat(board.findElements(By.cssSelector("table.ranked tr"))).hasSize(2);
            assertThat(board.findElement(By.cssSelector("table.ranked")).getText()).contains("AutoAttack standard").contains("from the dashboard");
            assertThat(board.findElements(By.cssSelector("table.weaker tr"))).hasSize(3);
            shot(browser, shots, "dashboard-leaderboard");

            // the jobs list, filtered by method
            browser.get(api.uri("/#/jobs?method=arr").toString());
            until(Duration.ofSeconds(30), () -> browser.findElements(By.cssSelector("#jobs tr[data-job]")).size() == 3, "three ARR jobs");
            assertThat(browser.findElement(By.id("jobs")).getText()).contains("from the dashboard");
            shot(browser, shots, "dashboard-jobs");

            // the job deleted from its page, after a confirmation, with its models and their evaluations
            browser.get(api.uri("/#/jobs/" + job).toString());
            until(Duration.ofSeconds(30), () -> !browser.findElements(By.id("delete")).isEmpty(), "the delete button of an ended job");
            browser.findElement(By.id("delete")).click();
            browser.switchTo().alert().accept();
            until(Duration.ofSeconds(30), () -> browser.getCurrentUrl().endsWith("#/jobs"), "the jobs list after deleting");
            assertThat(api.get("/api/v1/training-jobs/" + job).statusCode()).isEqualTo(404);
            assertThat(api.get("/api/v1/models/" + model).statusCode()).isEqualTo(404);
            assertThat(api.get("/api/v1/evaluations/" + evaluation).statusCode()).isEqualTo(404);
        } catch (AssertionError | RuntimeException e) {
            // what the browser showed when it failed, for the report
            shot(browser, shots, "failure");
            Files.writeString(shots.resolve("failure.html"), browser.getPageSource());
            throw e;
        } finally {
            browser.quit();
        }
    }

    private static WebElement field(WebElement form, String path) {
        return form.findElement(By.name(path));
    }

    private static void choose(WebElement form, String path, String value) {
        form.findElement(By.cssSelector("select[name='" + path + "'] option[value='" + value + "']")).click();
    }

    private static String error(WebDriver browser, String path) {
        return browser.findElement(By.cssSelector("[data-error-for='" + path + "']")).getText();
    }

    private static String text(WebDriver browser, String css) {
        List<WebElement> found = browser.findElements(By.cssSelector(css));
        return found.isEmpty() ? "" : found.get(0).getText();
    }

    private static String attr(WebDriver browser, String css, String name, String otherwise) {
        List<WebElement> found = browser.findElements(By.cssSelector(css));
        String v = found.isEmpty() ? null : found.get(0).getDomAttribute(name);
        if (v == null && !found.isEmpty() && name.equals("value")) {
            v = found.get(0).getDomProperty("value");
        }
        return v == null ? otherwise : v;
    }

    private static boolean loaded(WebDriver browser, WebElement img) {
        return Boolean.TRUE.equals(((JavascriptExecutor) browser).executeScript(
                "return arguments[0].complete && arguments[0].naturalWidth > 100;", img));
    }

    private static void shot(ChromeDriver browser, Path dir, String name) {
        try {
            Files.write(dir.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
        } catch (Exception e) {
            System.err.println("screenshot " + name + " failed: " + e.getMessage());
        }
    }

    /** Polls (the page's script updates it) until {@code done}; a stale element between two renders is looked at again. */
    private static void until(Duration timeout, Supplier<Boolean> done, String what) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < end) {
            try {
                if (done.get()) {
                    return;
                }
                last = null;
            } catch (StaleElementReferenceException | NoSuchElementException | NumberFormatException e) {
                last = e;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("waited " + timeout + " for " + what + (last == null ? "" : " (last: " + last.getMessage() + ")"));
    }
}
