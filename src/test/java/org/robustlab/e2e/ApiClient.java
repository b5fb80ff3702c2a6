package org.robustlab.e2e;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The end-to-end tests' HTTP client for the server on {@code port}, sending {@code key} (none when null). Every
 * JSON answer of the API that passes through it is checked against the server's own OpenAPI document (the
 * contract test): a status, header or body the document does not describe fails the test.
 */
final class ApiClient {

    private static final Map<Integer, OpenApiInteractionValidator> CONTRACTS = new ConcurrentHashMap<>();

    final HttpClient http = HttpClient.newHttpClient();
    final JsonMapper json = JsonMapper.builder().build();
    private final int port;
    final String key;

    ApiClient(int port, String key) {
        this.port = port;
        this.key = key;
    }

    /** The same server with another key (null: none). */
    ApiClient withKey(String other) {
        return new ApiClient(port, other);
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    /** A request to {@code path} carrying this client's key. */
    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path));
        return key == null ? b : b.header("Authorization", "Bearer " + key);
    }

    HttpResponse<String> get(String path) throws Exception {
        return checked(path, Request.Method.GET, http.send(request(path).build(), HttpResponse.BodyHandlers.ofString()));
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return checked(path, Request.Method.POST, http.send(request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    HttpResponse<String> delete(String path) throws Exception {
        return checked(path, Request.Method.DELETE, http.send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString()));
    }

    /** Sends a request built with {@link #request} and checks its answer against the contract. */
    /** {@code POST /api/v1/models}: {@code file} as the part "file" with {@code filename}, and each of {@code parts}. */
    HttpResponse<String> uploadModel(byte[] file, String filename, Map<String, String> parts) throws Exception {
        String boundary = "robustlab" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (var part : parts.entrySet()) {
            body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part.getKey() + "\"\r\n\r\n" + part.getValue()
                    + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(file);
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return send(request("/api/v1/models").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build());
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        return checked(request.uri().getRawPath(), Request.Method.valueOf(request.method()), r);
    }

    /**
     * Checks an answer of the API against the OpenAPI document: its status must be documented for the operation,
     * and a JSON body must match the documented schema. Answers outside /api/v1 (health, metrics) are not in it.
     */
    HttpResponse<String> checked(String path, Request.Method method, HttpResponse<String> r) {
        String p = path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
        if (!p.startsWith("/api/v1/")) {
            return r;
        }
        String type = r.headers().firstValue("Content-Type").orElse("");
        SimpleResponse.Builder response = SimpleResponse.Builder.status(r.statusCode());
        if (!type.isEmpty()) {
            response.withContentType(type);
        }
        r.headers().map().forEach((k, v) -> response.withHeader(k, v));
        if (type.contains("json")) {
            response.withBody(r.body());
        }
        ValidationReport report = contract().validateResponse(p, method, response.build());
        if (report.hasErrors()) {
            throw new AssertionError("the answer to " + method + " " + p + " (" + r.statusCode() + ") does not match the OpenAPI"
                    + " document: " + report.getMessages() + "; body: " + (r.body().length() > 600 ? r.body().substring(0, 600) : r.body()));
        }
        return r;
    }

    private OpenApiInteractionValidator contract() {
        return CONTRACTS.computeIfAbsent(port, p -> {
            try {
                String spec = http.send(HttpRequest.newBuilder(uri("/v3/api-docs")).build(), HttpResponse.BodyHandlers.ofString()).body();
                return OpenApiInteractionValidator.createForInlineApiSpecification(spec)
                        .withLevelResolver(LevelResolver.create()
                                // paths Tomcat rejects before Spring (an encoded slash) and methods a path lacks are not operations
                                .withLevel("validation.response.path.missing", ValidationReport.Level.IGNORE)
                                .withLevel("validation.response.operation.notAllowed", ValidationReport.Level.IGNORE)
                                // only JSON bodies are handed over (pages and pictures are checked by their own tests)
                                .withLevel("validation.response.body.missing", ValidationReport.Level.IGNORE)
                                .build())
                        .build();
            } catch (Exception e) {
                throw new IllegalStateException("cannot read the OpenAPI document", e);
            }
        });
    }

    /** Polls {@code path} until {@code done} holds; returns that answer, or fails at {@code timeout} with the last one. */
    JsonNode waitFor(String path, Predicate<JsonNode> done, Duration timeout) {
        return Waits.until(path, timeout, () -> json.readTree(get(path).body()), done);
    }
}
