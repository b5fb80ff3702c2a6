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
    @Operation(operationId = "uploadModel", summary = "Upload a model trained elsewhere (safetensors, PyTorch state-dict names and layout) to evaluate it",
            description = "Parts: file (the .safetensors), model (an architecture id, e.g. resnet18), dataset (e.g. cifar10), "
                    + "optional name. The file must hold every tensor of the architecture with its exact shape, as F32; "
                    + "a bad file gets a 400 and nothing is stored.")
    @ApiResponse(responseCode = "201", description = "stored",
            headers = @Header(name = "Location", description = "the model's URL",
                    schema = @Schema(type = "string")))
    ResponseEntity<ModelView> upload(@RequestPart("file") MultipartFile file,
            @RequestPart("model") @Schema(description = "the architecture",
                    allowableValues = {"small-cnn", "resnet18", "preact-resnet18", "wrn-34-10"}) String model,
            @RequestPart("dataset") @Schema(description = "what it was trained on",
                    allowableValues = {"fashion-mnist", "mnist", "cifar10", "cifar100"}) String dataset,
            @RequestPart(value = "name", required = false) String name) throws IOException {
        if (file.isEmpty()) {
            throw new InvalidRequestException("file", "file is empty; send the .safetensors file as the multipart part 'file'");
        }
        ModelArtifact saved;
        try (InputStream in = file.getInputStream()) {
            saved = uploads.upload(in, file.getOriginalFilename(), model, dataset, name);
        }
        return ResponseEntity.created(URI.create("/api/v1/models/" + saved.getId())).body(view(saved));
    }

    /** A model and where it came from. */
    record ModelView(UUID id, UUID jobId, String kind, int epoch, String architecture, String dataset, String method,
            Object hyperparameters, Object training, String djlSha256, long djlSize, String safetensorsSha256,
            long safetensorsSize, String owner, Instant createdAt) {}

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
            description = "format=safetensors (PyTorch state-dict names and layout) or format=djl (DJL's .params)")
    @ApiResponse(responseCode = "200", description = "the file",
            headers = @Header(name = "X-Checksum-SHA256", description = "the file's SHA-256, hex",
                    schema = @Schema(type = "string")),
            content = @Content(mediaType = "application/octet-stream",
                    schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<Resource> download(@PathVariable UUID id, @RequestParam(defaultValue = "safetensors") @Parameter(schema =
            @Schema(allowableValues = {"safetensors", "djl"})) String format) throws IOException {
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
                .body(new InputStreamResource(store.open(file)));
    }

    private ModelArtifact find(UUID id) {
        return models.findById(id).filter(m -> visibility.canRead(m.getOwner())).orElseThrow(() -> NotFoundException.forId("model", id));
    }

    private ModelView view(ModelArtifact m) {
        return new ModelView(m.getId(), m.getJobId(), m.getKind(), m.getEpoch(), m.getArchitecture(), m.getDataset(),
                m.getMethod(), m.getHyperparameters() == null ? null : json.readTree(m.getHyperparameters()), m.getMetrics() == null ? null : json.readTree(m.getMetrics()),
                m.djl().sha256(), m.djl().size(), m.safetensors().sha256(), m.safetensors().size(), m.getOwner(), m.getCreatedAt());
    }
}
