// The README's flow through the TypeScript client that openapi-generator (typescript-fetch) makes from the
// service's OpenAPI document, used as generated. Run by scripts/client-check.sh, which sets ROBUSTLAB_URL and
// ROBUSTLAB_KEY. Every step checks what it got; the first failed check ends the run with exit code 1.
import {
    Configuration, ResponseError,
    TrainingJobsApi, ModelsApi, EvaluationsApi, ComparisonsApi, DatasetsApi,
    TrainingJobView, EvaluationView,
} from "./generated/index";

const config = new Configuration({
    basePath: process.env.ROBUSTLAB_URL!,
    accessToken: async () => process.env.ROBUSTLAB_KEY!,
});
const jobs = new TrainingJobsApi(config);
const models = new ModelsApi(config);
const evaluations = new EvaluationsApi(config);
const comparisons = new ComparisonsApi(config);
const datasets = new DatasetsApi(config);

function check(ok: boolean, what: string): void {
    if (!ok) {
        throw new Error("check failed: " + what);
    }
    console.error("  ok: " + what);
}

const ended = ["SUCCEEDED", "FAILED", "CANCELLED", "STOPPED"];

async function job(id: string, minutes: number): Promise<TrainingJobView> {
    const deadline = Date.now() + minutes * 60_000;
    for (;;) {
        const j = await jobs.getTrainingJob({ id });
        if (ended.includes(j.state) || Date.now() > deadline) {
            return j;
        }
        await new Promise(r => setTimeout(r, 1000));
    }
}

async function evaluation(id: string, minutes: number): Promise<EvaluationView> {
    const deadline = Date.now() + minutes * 60_000;
    for (;;) {
        const e = await evaluations.getEvaluation({ id });
        if (ended.includes(e.state) || Date.now() > deadline) {
            return e;
        }
        await new Promise(r => setTimeout(r, 1000));
    }
}

async function main(): Promise<void> {
    const all = await datasets.listDatasets();
    check(all.some(d => d.id === "fashion-mnist" && d.status === "present"), "fashion-mnist is present");

    // submit: 202 with Location
    const submitted = await jobs.submitTrainingJobRaw({ createTrainingJobRequest: {
        name: "ts-client", dataset: "fashion-mnist", trainSubset: 512, model: "small-cnn", method: "arr",
        lambda: 1.0, divergence: "kl", attack: { type: "fgsm", epsilon: 0.1 }, epochs: 1, batchSize: 64,
        optimizer: { type: "sgd", learningRate: 0.05, momentum: 0.9 }, schedule: { type: "constant" },
        validation: { size: 256, pgdSteps: 2 }, catastrophicOverfitting: { enabled: false },
        seed: 7, tags: new Set(["client-check", "ts"]), device: "auto",
    } });
    check(submitted.raw.status === 202, "submit answers 202");
    const created = await submitted.value();
    check((submitted.raw.headers.get("Location") ?? "").endsWith("/api/v1/training-jobs/" + created.id), "Location names the job");
    check(created.tags.has("client-check") && created.tags.has("ts"), "the tags come back as a set");

    // poll, metrics, models
    const done = await job(created.id, 10);
    check(done.state === "SUCCEEDED", "the job succeeded (" + done.state + " " + (done.failureReason ?? "") + ")");
    check(done.startedAt instanceof Date && done.finishedAt instanceof Date, "timestamps are dates");
    const metrics = await jobs.getTrainingJobMetrics({ id: created.id });
    check(metrics.length === 1, "one epoch of metrics");
    const page = await jobs.listTrainingJobs({ tag: "ts" });
    check(page.content.some(j => j.id === created.id), "the job is listed under its tag");
    const last = done.models.find(m => m.kind === "last")!;
    check(last !== undefined, "the job has a last model");
    const model = await models.getModel({ id: last.id });
    check(model.architecture === "small-cnn" && (model.safetensorsSize ?? 0) > 0, "the model's view");

    // download and upload
    const file = await models.downloadModel({ id: last.id, format: "safetensors" });
    check(file.size === model.safetensorsSize, "the download has the model's size");
    const uploaded = await models.uploadModel({ file, model: "small-cnn", dataset: "fashion-mnist", name: "ts-upload" });
    check(uploaded.kind === "uploaded", "the upload is a model of kind uploaded");
    check(uploaded.normalization?.source === "dataset" && uploaded.normalization?.mean?.[0] === 0.286,
        "the upload states the dataset's normalisation");

    // an evaluation with every attack type and every attack field
    const evaluated = await evaluations.submitEvaluation({ createEvaluationRequest: {
        modelId: last.id, testSubset: 32, seed: 3, device: "cpu",
        attacks: [
            { type: "fgsm", epsilon: 0.1 },
            { type: "pgd", epsilon: 0.1, steps: 5, stepSize: 0.03, restarts: 2, loss: "cw" },
            { type: "apgd-ce", epsilon: 0.1, steps: 5, restarts: 1 },
            { type: "apgd-dlr", epsilon: 0.1, steps: 5 },
            { type: "apgd-t", epsilon: 0.1, steps: 5, targets: 2 },
            { type: "square", epsilon: 0.1, queries: 20 },
            { type: "transfer", epsilon: 0.1, surrogateModelId: uploaded.id, surrogateAttack: { type: "pgd", steps: 5 } },
            { type: "ensemble", epsilon: 0.1, steps: 5, targets: 2, queries: 20 },
        ],
        diagnostics: { enabled: true, points: 16, squareQueries: 20, pictures: 2 },
    } });
    const ev = await evaluation(evaluated.id, 15);
    check(ev.state === "SUCCEEDED", "the evaluation succeeded (" + ev.state + " " + (ev.failureReason ?? "") + ")");
    const report = await evaluations.getEvaluationReport({ id: evaluated.id });
    check(report.results!.length === 8, "eight attacks in the report");
    const labels = report.results!.map(r => r.label).join(",");
    check(report.results!.every(r => r.robustAccuracy! <= report.cleanAccuracy! + 1e-9), "no attack beats clean accuracy (" + labels + ")");
    const targeted = report.results!.find(r => r.attack!.type === "apgd-t")!;
    check(targeted.attack!.restarts === 2, "apgd-t kept targets: 2 (one run per target class, as restarts)");
    const square = report.results!.find(r => r.attack!.type === "square")!;
    check(square.attack!.queries === 20, "square kept queries: 20");
    const png = await evaluations.getEvaluationPlot({ id: evaluated.id, name: "accuracy-vs-epsilon" });
    const magic = new Uint8Array(await png.arrayBuffer()).slice(0, 4);
    check(magic[0] === 0x89 && magic[1] === 0x50 && magic[2] === 0x4e && magic[3] === 0x47, "the picture is a PNG");

    // a second evaluation (the uploaded model) and the comparison
    const second = await evaluations.submitEvaluation({ createEvaluationRequest: {
        modelId: uploaded.id, testSubset: 32, attacks: [{ type: "fgsm", epsilon: 0.1 }], diagnostics: { enabled: false },
    } });
    check((await evaluation(second.id, 10)).state === "SUCCEEDED", "the second evaluation succeeded");
    const comparison = await comparisons.compareEvaluations({ comparisonRequest: { evaluationIds: [evaluated.id, second.id] } });
    check(comparison.rows.length === 2 && comparison.rows[0].evaluationId === evaluated.id, "two rows in the comparison");

    // cancel a job and an evaluation
    const long = await jobs.submitTrainingJob({ createTrainingJobRequest: {
        dataset: "fashion-mnist", trainSubset: 5000, method: "standard", epochs: 20 } });
    const cancelled = await jobs.cancelTrainingJob({ id: long.id });
    check(["RUNNING", "CANCELLED"].includes(cancelled.state), "the cancel is accepted (" + cancelled.state + ")");
    check((await job(long.id, 5)).state === "CANCELLED", "the job ends CANCELLED");
    const slow = await evaluations.submitEvaluation({ createEvaluationRequest: {
        modelId: last.id, attacks: [{ type: "square", epsilon: 0.1, queries: 5000 }] } });
    await evaluations.cancelEvaluation({ id: slow.id });
    check((await evaluation(slow.id, 5)).state === "CANCELLED", "the evaluation ends CANCELLED");

    // a bad request is a ResponseError carrying a problem detail that names the field
    try {
        await jobs.submitTrainingJob({ createTrainingJobRequest: { dataset: "fashion-mnist", epochs: 0 } });
        check(false, "epochs: 0 is refused");
    } catch (e) {
        check(e instanceof ResponseError && e.response.status === 400, "epochs: 0 is a 400");
        const problem = await (e as ResponseError).response.json();
        check(problem.field === "epochs" && typeof problem.type === "string", "the problem names the field epochs");
    }
}

main().then(() => console.error("typescript-fetch client: the flow passed"), e => {
    console.error(e);
    process.exit(1);
});
