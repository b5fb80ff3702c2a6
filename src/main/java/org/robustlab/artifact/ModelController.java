package org.robustlab.artifact;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.UUID;
import org.robustlab.config.PageView;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.problem.CorruptedArtifactException;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.problem.NotFoundException;
import org.robustlab.problem.Problems;
import org.robustlab.security.Visibility;
import org.springframework.core.io.InputStreamResource;
import org.springframework.core.io.Resource;
import org.springframework.data.domain.PageRequest;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import tools.jackson.databind.ObjectMapper;

@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Models", description = "Trained models (last and best-robust) with their provenance and files")
class ModelController {

    static final String SHA256_HEADER = "X-Checksum-SHA256";

    private final ModelArtifactRepository models;
    private final ObjectMapper json;
    private final ModelUploads uploads;
    private final Visibility visibility;

    private final ArtifactStore store;

    ModelController(ModelArtifactRepository models, ObjectMapper json, ModelUploads uploads, Visibility visibility,
            ArtifactStore store) {
        this.store = store;
        this.visibility = visibility;
        this.models = models;
        this.json = json;
        this.uploads = uploads;
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "uploadModel", summary = "Upload a model trained elsewhere to evaluate it: a state dict for a"
            + " built-in architecture (safetensors), or any network as TorchScript",
            description = "Parts: file, model, dataset (e.g. cifar10), optional name. model=an architecture id (e.g. resnet18):"
                    + " file is a .safetensors with every tensor of the architecture in PyTorch's names and layout, with its"
                    + " exact shape, as F32; the names of RobustBench's and the TRADES, MART and AWP code are taken as they are"
                    + " (a module. or model. prefix, the unused sub_block1.*, num_batches_tracked), anything else that does not"
                    + " match is listed in the 400. It normalises with the dataset's mean and std unless the upload gives mean"
                    + " and std (RobustBench's models take [0,1] pixels: mean=0,0,0 and std=1,1,1). model=torchscript: file is a TorchScript archive (torch.jit.save of a traced or"
                    + " scripted module in eval mode) that maps a batch of [0,1] images (N, C, H, W) to logits (N, numClasses);"
                    + " optional parts numClasses (default: the dataset's), mean and std (comma-separated, one per channel: the"
                    + " service normalises in front of the module, so that attacks stay in [0,1] pixel space). A TorchScript"
                    + " model is checked in a worker process before it is stored: it must run on the dataset's test images"
                    + " within the time limit, give finite logits (not probabilities) of the right shape, and have a non-zero"
                    + " input gradient. A bad file gets a 400 that says what is wrong, and nothing is stored.")
    @ApiResponse(responseCode = "201", description = "stored",
            headers = @Header(name = "Location", description = "the model's URL",
                    schema = @Schema(type = "string")))
    ResponseEntity<ModelView> upload(@RequestPart("file") MultipartFile file,
            @RequestPart("model") @Schema(description = "the architecture",
                    allowableValues = {"small-cnn", "resnet18", "preact-resnet18", "wrn-28-10", "wrn-34-10", "wrn-70-16",
                            "dm-wrn-28-10", "dm-wrn-70-16", "torchscript"}) String model,
            @RequestPart("dataset") @Schema(description = "what it was trained on",
                    allowableValues = {"fashion-mnist", "mnist", "cifar10", "cifar100"}) String dataset,
            @RequestPart(value = "name", required = false) String name,
            @RequestPart(value = "numClasses", required = false) @Schema(description = "torchscript: the classes its logits have;"
                    + " default the dataset's") String numClasses,
            @RequestPart(value = "mean", required = false) @Schema(description = "per-channel mean, comma-separated,"
                    + " e.g. 0.4914,0.4822,0.4465; with std, the normalisation the model expects (default: none for torchscript,"
                    + " the dataset's for an architecture)", example = "0.4914,0.4822,0.4465") String mean,
            @RequestPart(value = "std", required = false) @Schema(description = "per-channel standard deviation,"
                    + " comma-separated", example = "0.2471,0.2435,0.2616") String std) throws IOException {
        if (file.isEmpty()) {
            throw new InvalidRequestException("file", "file is empty; send the model file as the multipart part 'file'");
        }
        ModelArtifact saved;
        try (InputStream in = file.getInputStream()) {
            saved = uploads.upload(in, file.getOriginalFilename(), model, dataset, name,
                    new ModelUploads.TorchScriptOptions(numClasses, mean, std));
        }
        return ResponseEntity.created(URI.create("/api/v1/models/" + saved.getId())).body(view(saved));
    }

    /**
     * A model and where it came from; for a TorchScript model ({@code format} torchscript) {@code djlSha256} and
     * {@code djlSize} are its archive's, and {@code torchScript} what the service knows of it.
     */
    record ModelView(UUID id, UUID jobId, String kind, int epoch, String architecture, String dataset, String method,
            Object hyperparameters, Object training, String djlSha256, long djlSize, String safetensorsSha256,
            Long safetensorsSize, String owner, Instant createdAt, String format, TorchScriptView torchScript,
            NormalizationView normalization) {}

    /**
     * The normalisation in front of the network: what every attack's [0,1] image goes through before the first layer.
     *
     * @param mean per channel, or null when the model takes [0,1] pixels as they are
     * @param std per channel, or null when the model takes [0,1] pixels as they are
     * @param source {@code dataset} (the dataset's own, as RobustLab trains), {@code upload} (given with the upload) or
     *     {@code none} (a TorchScript model that normalises inside, if at all)
     */
    record NormalizationView(float[] mean, float[] std, String source) {}

    /**
     * What the service knows of a lab's TorchScript model.
     *
     * @param numClasses the classes its logits have
     * @param normalization the per-channel mean and std put in front of it, or null
     * @param parameters its parameter count
     * @param costPerImage its forward pass relative to SmallCNN's on the same batch (what quotas charge)
     * @param checks what its checks measured when it was uploaded
     */
    record TorchScriptView(int numClasses, Object normalization, long parameters, double costPerImage, Object checks) {}

    @GetMapping
    @Operation(operationId = "listModels", summary = "Models, newest first")
    PageView<ModelView> list(@RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        Problems.checkPage(page, size);
        String owner = visibility.listOwner(null);
        return PageView.of((owner == null ? models.findAllByOrderByCreatedAtDesc(PageRequest.of(page, size))
                : models.findByOwnerOrderByCreatedAtDesc(owner, PageRequest.of(page, size))).map(this::view));
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getModel", summary = "A model: job, method, hyperparameters, dataset and metrics")
    ModelView get(@PathVariable UUID id) {
        return view(find(id));
    }

    @GetMapping("/{id}/download")
    @Operation(operationId = "downloadModel", summary = "The model file, streamed, with its SHA-256 in the X-Checksum-SHA256 header",
            description = "format=safetensors (PyTorch state-dict names and layout) or format=djl (DJL's .params) for a built-in"
                    + " architecture; format=torchscript for a TorchScript model (its archive as uploaded)")
    @ApiResponse(responseCode = "200", description = "the file",
            headers = @Header(name = "X-Checksum-SHA256", description = "the file's SHA-256, hex",
                    schema = @Schema(type = "string")),
            content = @Content(mediaType = "application/octet-stream",
                    schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<Resource> download(@PathVariable UUID id, @RequestParam(defaultValue = "safetensors") @Parameter(schema =
            @Schema(allowableValues = {"safetensors", "djl", "torchscript"})) String format) throws IOException {
        ModelArtifact model = find(id);
        if (model.isTorchScript() && !format.equals("torchscript") || !model.isTorchScript() && format.equals("torchscript")) {
            throw new InvalidRequestException("format", "model " + id + " is " + (model.isTorchScript()
                    ? "a TorchScript model: download it with format=torchscript" : "a " + model.getArchitecture()
                    + ": download it with format=safetensors or format=djl"));
        }
        ModelArtifact.StoredFile file = switch (format) {
            case "safetensors" -> model.safetensors();
            case "djl", "torchscript" -> model.djl();
            default -> throw new InvalidRequestException("format", "format must be one of [djl, safetensors, torchscript]; got '"
                    + format + "'");
        };
        if (!store.intact(file)) {
            throw new CorruptedArtifactException("the " + format + " file of model " + id
                    + " is missing or does not match its recorded SHA-256; it is corrupted and is not served");
        }
        String name = "model-" + id + switch (format) {
            case "djl" -> "-0000.params";
            case "torchscript" -> ".pt";
            default -> ".safetensors";
        };
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(file.size())
                .header(SHA256_HEADER, file.sha256())
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(name).build().toString())
                .body(new InputStreamResource(store.open(file)));
    }

    private ModelArtifact find(UUID id) {
        return models.findById(id).filter(m -> visibility.canRead(m.getOwner())).orElseThrow(() -> NotFoundException.forId("model", id));
    }

    private ModelView view(ModelArtifact m) {
        return new ModelView(m.getId(), m.getJobId(), m.getKind(), m.getEpoch(), m.getArchitecture(), m.getDataset(),
                m.getMethod(), m.getHyperparameters() == null ? null : json.readTree(m.getHyperparameters()), m.getMetrics() == null ? null : json.readTree(m.getMetrics()),
                m.djl().sha256(), m.djl().size(), m.safetensors() == null ? null : m.safetensors().sha256(),
                m.safetensors() == null ? null : m.safetensors().size(), m.getOwner(), m.getCreatedAt(), m.getFormat(),
                m.isTorchScript() ? new TorchScriptView(m.getNumClasses(), m.getNormalization() == null ? null
                        : json.readTree(m.getNormalization()), m.getParameterCount(), m.getCostPerImage(),
                        m.getChecks() == null ? null : json.readTree(m.getChecks())) : null, normalization(m));
    }

    private NormalizationView normalization(ModelArtifact m) {
        if (m.getNormalization() != null) {
            var n = json.readTree(m.getNormalization());
            return new NormalizationView(json.convertValue(n.get("mean"), float[].class), json.convertValue(n.get("std"), float[].class),
                    "upload");
        }
        if (m.isTorchScript()) {
            return new NormalizationView(null, null, "none");
        }
        DatasetId dataset = DatasetId.fromId(m.getDataset());
        return new NormalizationView(dataset.mean(), dataset.std(), "dataset");
    }
}
