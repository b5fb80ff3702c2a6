package org.robustlab.security;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Size;
import java.net.URI;
import java.util.List;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/keys")
@Tag(name = "API keys", description = "Issue, list and revoke API keys (admin)")
class KeyController {

    private final ApiKeys keys;
    private final Quotas quotas;

    KeyController(ApiKeys keys, Quotas quotas) {
        this.keys = keys;
        this.quotas = quotas;
    }

    /**
     * @param name whom the key is for; what the key creates is owned by this name
     * @param role viewer, researcher or admin
     */
    @Schema(example = """
            {"name": "alice", "role": "researcher"}""")
    record CreateKeyRequest(@NotBlank @Size(max = 200) String name,
            @NotBlank @Size(max = 20) @Schema(allowableValues = {"viewer", "researcher", "admin"}) String role) {}

    @PostMapping
    @Operation(operationId = "createKey", summary = "Issue a key; its secret is in this answer only")
    @ApiResponse(responseCode = "201", description = "issued; the key is in this answer only",
            headers = @Header(name = "Location", description = "the key's URL",
                    schema = @Schema(type = "string")))
    ResponseEntity<ApiKeys.IssuedKey> create(@Valid @RequestBody CreateKeyRequest request) {
        quotas.submission(Caller.current());
        ApiKeys.IssuedKey key = keys.create(request.name(), request.role(), Caller.current().name());
        return ResponseEntity.created(URI.create("/api/v1/keys/" + key.id())).body(key);
    }

    @GetMapping
    @Operation(operationId = "listKeys", summary = "Every key, revoked ones included, without secrets")
    List<ApiKeys.KeyView> list() {
        return keys.list();
    }

    @DeleteMapping("/{id}")
    @Operation(operationId = "revokeKey", summary = "Revoke a key; it stops working at once on this instance and within 10 s on others")
    ApiKeys.KeyView revoke(@PathVariable UUID id) {
        return keys.revoke(id);
    }
}
