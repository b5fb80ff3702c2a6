package org.robustlab.config;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import java.lang.annotation.Annotation;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.PropertyCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document: its title and description, its two ways to send an API key (Swagger UI's Authorize
 * button), a {@code Problem} schema with the error answers every operation can give (as
 * application/problem+json), and exclusive bounds where a range excludes its end.
 */
@Configuration
class OpenApiConfig {

    @Bean
    OpenAPI robustLabOpenApi() {
        return new OpenAPI()
                .info(new Info().title("RobustLab API").version("v1")
                        .description("Train image classifiers to resist adversarial attacks (ARR, standard training, PGD-AT, TRADES)"
                                + " and measure how robust they are. Every request needs an API key (roles viewer, researcher,"
                                + " admin) as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'; errors are RFC 9457 problem"
                                + " details."))
                .components(new Components()
                        .addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer")
                                .description("an API key (Authorization: Bearer rlk_...) or, where the service is set up for OIDC, a JWT from"
                                        + " the lab's identity provider").bearerFormat("API key or JWT"))
                        .addSecuritySchemes("apiKey", new SecurityScheme().type(SecurityScheme.Type.APIKEY)
                                .in(SecurityScheme.In.HEADER).name("X-API-Key").description("the same key in the X-API-Key header")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"))
                .addSecurityItem(new SecurityRequirement().addList("apiKey"));
    }

    /**
     * The error answers, as problem+json: every operation may answer 400, 401, 403, 429 and 500; one with an id in
     * its path 404; a change that depends on state (cancel, revoke) or a report before it exists 409; a request
     * with a body 413.
     */
    @Bean
    OpenApiCustomizer problemResponses() {
        return api -> {
            api.getComponents().addSchemas("Problem", new ObjectSchema()
                    .description("an RFC 9457 problem detail")
                    .addProperty("type", new StringSchema().format("uri").description("a stable identifier of the kind of problem"))
                    .addProperty("title", new StringSchema())
                    .addProperty("status", new IntegerSchema())
                    .addProperty("detail", new StringSchema().description("what went wrong and what to fix"))
                    .addProperty("instance", new StringSchema().format("uri"))
                    .addProperty("field", new StringSchema().description("the JSON path of the offending field, when one is"))
                    .addProperty("errors", new ArraySchema().items(new Schema<>().$ref("#/components/schemas/ProblemFieldError"))
                            .description("each invalid field, when there are several"))
                    .addRequiredItem("type").addRequiredItem("title").addRequiredItem("status"));
            api.getComponents().addSchemas("ProblemFieldError", new ObjectSchema().description("one invalid field of a request")
                    .addProperty("field", new StringSchema().description("its JSON path")).addProperty("message", new StringSchema()));
            api.getComponents().getSchemas().values().forEach(OpenApiConfig::arraysAreArrays);
            ALWAYS_PRESENT.forEach((name, fields) -> {
                Schema<?> schema = api.getComponents().getSchemas().get(name);
                if (schema != null && schema.getProperties() != null) {
                    fields.stream().filter(schema.getProperties()::containsKey).filter(f -> schema.getRequired() == null
                            || !schema.getRequired().contains(f)).forEach(schema::addRequiredItem);
                }
            });
            // the report's attack is written by the worker with the API's spelling (apgd-ce, linf, ce), not the enum names
            Schema<?> attack = api.getComponents().getSchemas().get("AttackSpec");
            if (attack != null && attack.getProperties() != null) {
                for (String p : new String[] {"type", "norm", "objective"}) {
                    respell(attack.getProperties().get(p));
                }
            }
            // a class without test points in an evaluation's subset has no accuracy: null in the per-class lists
            nullableItems(api.getComponents().getSchemas().get("ClassAccuracy"), "worstCase");
            nullableItems(api.getComponents().getSchemas().get("AttackResult"), "perClassAccuracy");
            // a sweep's grid values and a baseline's merge patch are any JSON: numbers, strings, booleans, objects
            Schema<?> sweep = api.getComponents().getSchemas().get("CreateSweepRequest");
            if (sweep != null && sweep.getProperties() != null && sweep.getProperties().get("grid") != null) {
                Schema<?> grid = sweep.getProperties().get("grid");
                grid.setAdditionalProperties(new ArraySchema().items(new Schema<>().description("any JSON value")).minItems(1).maxItems(20));
            }
            Schema<?> baseline = api.getComponents().getSchemas().get("Baseline");
            if (baseline != null && baseline.getProperties() != null && baseline.getProperties().get("request") != null) {
                baseline.getProperties().get("request").setAdditionalProperties(new Schema<>().nullable(true).description("any JSON value, or null to remove"));
            }
            for (Map.Entry<String, PathItem> path : api.getPaths().entrySet()) {
                for (Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().readOperationsMap().entrySet()) {
                    addErrors(path.getKey(), op.getKey(), op.getValue());
                    picturesAreBinary(op.getValue());
                }
            }
        };
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private static void respell(Schema schema) {
        if (schema != null && schema.getEnum() != null) {
            List<Object> ids = new ArrayList<>();
            for (Object v : schema.getEnum()) {
                ids.add(v.toString().toLowerCase(Locale.ROOT).replace('_', '-'));
            }
            schema.setEnum(ids);
        }
    }

    /** A schema with items is an array, said explicitly (an annotated field of another Java type leaves it out). */
    @SuppressWarnings("rawtypes")
    private static void nullableItems(Schema<?> schema, String property) {
        if (schema != null && schema.getProperties() != null && schema.getProperties().get(property) != null
                && schema.getProperties().get(property).getItems() != null) {
            schema.getProperties().get(property).getItems().setNullable(true);
        }
    }

    private static void arraysAreArrays(Schema schema) {
        if (schema == null) {
            return;
        }
        if (schema.getItems() != null && schema.getType() == null) {
            schema.setType("array");
        }
        if (schema.getProperties() != null) {
            for (Object p : schema.getProperties().values()) {
                arraysAreArrays((Schema) p);
            }
        }
        arraysAreArrays(schema.getItems());
    }

    /**
     * The fields of answers that always have a value (answers leave out the others when they have none), so that a
     * generated client types them as present. The contract tests hold every answer they receive to this.
     */
    private static final Map<String, List<String>> ALWAYS_PRESENT = Map.ofEntries(
            Map.entry("TrainingJobView", List.of("id", "state", "method", "dataset", "model", "tags", "progress", "models",
                    "attempts", "createdAt", "request")),
            Map.entry("Progress", List.of("epoch", "epochs", "batch", "batches", "percent")),
            Map.entry("ModelRef", List.of("id", "kind", "epoch")),
            Map.entry("EvaluationView", List.of("id", "modelId", "state", "percent", "createdAt", "request")),
            Map.entry("ModelView", List.of("id", "kind", "epoch", "architecture", "dataset", "djlSize", "format",
                    "createdAt")),
            Map.entry("PageViewTrainingJobView", List.of("content", "page", "size", "totalElements", "totalPages")),
            Map.entry("PageViewModelView", List.of("content", "page", "size", "totalElements", "totalPages")),
            Map.entry("KeyView", List.of("id", "name", "role", "prefix", "createdAt")),
            Map.entry("IssuedKey", List.of("id", "name", "role", "prefix", "createdAt", "key")),
            Map.entry("DatasetView", List.of("id", "status", "classes")),
            Map.entry("Comparison", List.of("rows", "notes", "html", "plot")),
            Map.entry("ComparisonRow", List.of("evaluationId", "model", "testPoints", "seed", "cleanAccuracy")));

    /** Operations without an id in the path that name other resources in their body or query (a model, evaluations). */
    private static final Set<String> REFERS_TO_OTHERS =
            Set.of("submitEvaluation", "compareEvaluations", "getComparisonPage", "getComparisonChart");

    /** A picture is sent as its bytes (format binary), not as base64 text (format byte, springdoc's guess for byte[]). */
    private static void picturesAreBinary(Operation op) {
        for (ApiResponse r : op.getResponses().values()) {
            if (r.getContent() == null) {
                continue;
            }
            r.getContent().forEach((type, media) -> {
                if (type.startsWith("image/") && media.getSchema() != null) {
                    media.getSchema().setFormat("binary");
                }
            });
        }
    }

    private static void addErrors(String path, PathItem.HttpMethod method, Operation op) {
        ApiResponses r = op.getResponses();
        error(r, "400", "the request is malformed or a value is out of range; the detail and field say which");
        error(r, "401", "no API key, or an unknown or revoked one");
        error(r, "403", "the key's role, or the resource's owner, does not allow this");
        error(r, "429", "a limit was reached (submissions, active jobs, event streams); Retry-After says when to retry");
        error(r, "500", "the server failed; it has been logged");
        if (path.contains("{") || REFERS_TO_OTHERS.contains(op.getOperationId())) {
            error(r, "404", "no such resource (or one this key may not read)");
        }
        if (path.endsWith("/cancel") || method == PathItem.HttpMethod.DELETE || path.endsWith("/report")
                || path.endsWith("/download") || path.endsWith(".html") || path.endsWith(".png")) {
            error(r, "409", "not possible in the resource's current state");
        }
        error(r, "406", "the Accept header asks for a representation this operation does not give");
        if (op.getRequestBody() != null) {
            error(r, "413", "the request body is over the limit");
            error(r, "415", "the body's Content-Type is not one this operation takes");
        }
    }

    private static void error(ApiResponses responses, String code, String description) {
        responses.putIfAbsent(code, new ApiResponse().description(description).content(new Content().addMediaType("application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")))));
    }

    /** Bean Validation's exclusive bounds ({@code inclusive = false}) as OpenAPI 3.0's exclusiveMinimum/Maximum. */
    @Bean
    PropertyCustomizer exclusiveBounds() {
        return (schema, type) -> {
            Annotation[] annotations = type.getCtxAnnotations();
            if (annotations == null || schema == null) {
                return schema;
            }
            for (Annotation a : annotations) {
                if (a instanceof DecimalMin min && !min.inclusive()) {
                    schema.setMinimum(new BigDecimal(min.value()));
                    schema.setExclusiveMinimum(true);
                } else if (a instanceof DecimalMax max && !max.inclusive()) {
                    schema.setMaximum(new BigDecimal(max.value()));
                    schema.setExclusiveMaximum(true);
                }
            }
            return schema;
        };
    }
}
