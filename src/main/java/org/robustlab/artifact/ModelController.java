package org.robustlab.artifact;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.util.UUID;
import org.robustlab.job.InvalidRequestException;
import org.robustlab.job.JobNotFoundException;
import org.springframework.core.io.Resource;
import org.springframework.data.domain.Page;
import org.springframework.data.domain.PageRequest;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestPart;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.ObjectMapper;

@RestController
@RequestMapping("/api/v1/models")
@Tag(name = "Models", description = "Trained models (last and best-robust) with their provenance and files")
class ModelController {

    static final String SHA256_HEADER = "X-Checksum-SHA256";

    private final ModelArtifactRepository models;
    private final ObjectMapper json;
    private final ModelUploads uploads;
    private final org.robustlab.security.Visibility visibility;

    private final ArtifactStore store;
    private final org.robustlab.retention.DeletionService deletions;

    ModelController(ModelArtifactRepository models, ObjectMapper json, ModelUploads uploads, org.robustlab.security.Visibility visibility,
            ArtifactStore store, org.robustlab.retention.DeletionService deletions) {
        this.deletions = deletions;
        this.store = store;
        this.visibility = visibility;
        this.models = models;
        this.json = json;
        this.uploads = uploads;
    }

    @org.springframework.web.bind.annotation.DeleteMapping("/{id}")
    @Operation(operationId = "deleteModel", summary = "Delete a model, its files and every evaluation of it",
            description = "Owner or admin. 409 while an evaluation of it is QUEUED or RUNNING, while a running evaluation uses it as"
                    + " a transfer surrogate, and for a model of a sweep's job (a sweep keeps its members).")
    @io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "204", description = "deleted, with its evaluations")
    ResponseEntity<Void> delete(@PathVariable UUID id) {
        deletions.deleteModel(id);
        return ResponseEntity.noContent().build();
    }

    @PostMapping(consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    @Operation(operationId = "uploadModel", summary = "Upload a model trained elsewhere (safetensors, PyTorch state-dict names and layout) to evaluate it",
            description = "Parts: file (the .safetensors), model (an architecture id, e.g. resnet18), dataset (e.g. cifar10), "
                    + "optional name. The file must hold every tensor of the architecture with its exact shape, as F32; "
                    + "a bad file gets a 400 and nothing is stored.")
@io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "201", description = "stored",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "Location", description = "the model's URL",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string")))
    ResponseEntity<ModelView> upload(@RequestPart("file") MultipartFile file,
            @RequestPart("model") @io.swagger.v3.oas.annotations.media.Schema(description = "the architecture",
                    allowableValues = {"small-cnn", "resnet18", "preact-resnet18", "wrn-34-10"}) String model,
            @RequestPart("dataset") @io.swagger.v3.oas.annotations.media.Schema(description = "what it was trained on",
                    allowableValues = {"fashion-mnist", "mnist", "cifar10", "cifar100"}) String dataset,
            @RequestPart(value = "name", required = false) String name) throws IOException {
        if (file.isEmpty()) {
            throw new InvalidRequestException("file", "file is empty; send the .safetensors file as the multipart part 'file'");
        }
        ModelArtifact saved;
        try (java.io.InputStream in = file.getInputStream()) {
            saved = uploads.upload(in, file.getOriginalFilename(), model, dataset, name);
        }
        return ResponseEntity.created(java.net.URI.create("/api/v1/models/" + saved.getId())).body(view(saved));
    }

    /** A model and where it came from. */
    record ModelView(UUID id, UUID jobId, String kind, int epoch, String architecture, String dataset, String method,
            Object hyperparameters, Object training, String djlSha256, long djlSize, String safetensorsSha256,
            long safetensorsSize, String owner, java.time.Instant createdAt) {}

    @GetMapping
    @Operation(operationId = "listModels", summary = "Models, newest first")
    org.robustlab.config.PageView<ModelView> list(@RequestParam(defaultValue = "0") int page, @RequestParam(defaultValue = "20") int size) {
        org.robustlab.config.Problems.checkPage(page, size);
        String owner = visibility.listOwner(null);
        return org.robustlab.config.PageView.of((owner == null ? models.findAllByOrderByCreatedAtDesc(PageRequest.of(page, size))
                : models.findByOwnerOrderByCreatedAtDesc(owner, PageRequest.of(page, size))).map(this::view));
    }

    @GetMapping("/{id}")
    @Operation(operationId = "getModel", summary = "A model: job, method, hyperparameters, dataset and metrics")
    ModelView get(@PathVariable UUID id) {
        return view(find(id));
    }

    @GetMapping("/{id}/download")
    @Operation(operationId = "downloadModel", summary = "The model file, streamed, with its SHA-256 in the X-Checksum-SHA256 header",
            description = "format=safetensors (PyTorch state-dict names and layout) or format=djl (DJL's .params)")
@io.swagger.v3.oas.annotations.responses.ApiResponse(responseCode = "200", description = "the file",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "X-Checksum-SHA256", description = "the file's SHA-256, hex",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string")),
            content = @io.swagger.v3.oas.annotations.media.Content(mediaType = "application/octet-stream",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "string", format = "binary")))
    ResponseEntity<Resource> download(@PathVariable UUID id, @RequestParam(defaultValue = "safetensors") @io.swagger.v3.oas.annotations.Parameter(schema =
            @io.swagger.v3.oas.annotations.media.Schema(allowableValues = {"safetensors", "djl"})) String format) throws IOException {
        ModelArtifact model = find(id);
        ModelArtifact.StoredFile file = switch (format) {
            case "safetensors" -> model.safetensors();
            case "djl" -> model.djl();
            default -> throw new InvalidRequestException("format", "format must be one of [djl, safetensors]; got '" + format + "'");
        };
        if (!store.intact(file)) {
            throw new CorruptedArtifactException("the " + format + " file of model " + id
                    + " is missing or does not match its recorded SHA-256; it is corrupted and is not served");
        }
        String name = "model-" + id + (format.equals("djl") ? "-0000.params" : ".safetensors");
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .contentLength(file.size())
                .header(SHA256_HEADER, file.sha256())
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment().filename(name).build().toString())
                .body(new org.springframework.core.io.InputStreamResource(store.open(file)));
    }

    private ModelArtifact find(UUID id) {
        return models.findById(id).filter(m -> visibility.canRead(m.getOwner())).orElseThrow(() -> JobNotFoundException.forId("model", id));
    }

    private ModelView view(ModelArtifact m) {
        return new ModelView(m.getId(), m.getJobId(), m.getKind(), m.getEpoch(), m.getArchitecture(), m.getDataset(),
                m.getMethod(), m.getHyperparameters() == null ? null : json.readTree(m.getHyperparameters()), m.getMetrics() == null ? null : json.readTree(m.getMetrics()),
                m.djl().sha256(), m.djl().size(), m.safetensors().sha256(), m.safetensors().size(), m.getOwner(), m.getCreatedAt());
    }
}
