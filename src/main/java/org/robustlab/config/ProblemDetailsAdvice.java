package org.robustlab.config;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.robustlab.artifact.CorruptedArtifactException;
import org.robustlab.job.IllegalTransitionException;
import org.robustlab.job.InvalidRequestException;
import org.robustlab.job.JobNotFoundException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every error is an RFC 9457 problem detail with a stable {@code type}, a title and a {@code detail}
 * that says what to fix; a {@code field} or {@code errors} list names the offending fields. Nothing
 * a client sends produces a 500, and no stack trace leaks.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);
    private static final String BASE = "https://robustlab.org/problems/";

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", e.getMessage());
        if (e.field() != null) {
            p.setProperty("field", e.field());
        }
        return p;
    }

    @ExceptionHandler(JobNotFoundException.class)
    ProblemDetail notFound(JobNotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage());
    }

    @ExceptionHandler(IllegalTransitionException.class)
    ProblemDetail conflict(IllegalTransitionException e) {
        return problem(HttpStatus.CONFLICT, "illegal-transition", "Not possible in the current state", e.getMessage());
    }

    @ExceptionHandler(CorruptedArtifactException.class)
    ProblemDetail corrupted(CorruptedArtifactException e) {
        return problem(HttpStatus.CONFLICT, "corrupted-artifact", "Corrupted model file", e.getMessage());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ProblemDetail typeMismatch(MethodArgumentTypeMismatchException e) {
        String expected = e.getRequiredType() == null ? "another type" : e.getRequiredType().isEnum()
                ? "one of " + List.of(e.getRequiredType().getEnumConstants()) : e.getRequiredType().getSimpleName();
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                e.getName() + " must be " + expected + "; got '" + e.getValue() + "'");
        p.setProperty("field", e.getName());
        return p;
    }

    @ExceptionHandler(org.springframework.web.multipart.MultipartException.class)
    ProblemDetail multipart(org.springframework.web.multipart.MultipartException e) {
        if (e instanceof org.springframework.web.multipart.MaxUploadSizeExceededException) {
            return problem(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Upload too large",
                    "the upload exceeds spring.servlet.multipart.max-file-size; raise it or send a smaller file");
        }
        return problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "the request must be multipart/form-data with a part named 'file': " + e.getMessage());
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e) {
        log.error("unexpected error", e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "the server failed to handle the request; it has been logged");
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException e, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        List<Map<String, Object>> errors = e.getBindingResult().getFieldErrors().stream()
                .map(f -> Map.<String, Object>of("field", f.getField(), "message",
                        f.getField() + " " + f.getDefaultMessage() + "; got " + f.getRejectedValue()))
                .toList();
        String detail = String.join("; ", errors.stream().map(m -> (String) m.get("message")).toList());
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
        p.setProperty("errors", errors);
        if (!errors.isEmpty()) {
            p.setProperty("field", errors.get(0).get("field"));
        }
        return ResponseEntity.badRequest().body(p);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String detail = e.getAllErrors().stream().map(err -> err.getDefaultMessage()).reduce((a, b) -> a + "; " + b).orElse("invalid");
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        String cause = e.getMostSpecificCause().getMessage();
        if (cause != null && cause.length() > 300) {
            cause = cause.substring(0, 300);
        }
        return ResponseEntity.badRequest().body(problem(HttpStatus.BAD_REQUEST, "unreadable-body", "Unreadable request body",
                "the body is not valid JSON for this endpoint: " + cause));
    }

    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (body instanceof ProblemDetail p && p.getType() != null && "about:blank".equals(p.getType().toString())) {
            p.setType(URI.create(BASE + "http-" + status.value()));
        }
        return super.createResponseEntity(body, headers, status, request);
    }

    private static ProblemDetail problem(HttpStatus status, String type, String title, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create(BASE + type));
        p.setTitle(title);
        return p;
    }
}
