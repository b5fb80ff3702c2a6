package org.robustlab.problem;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.orm.ObjectOptimisticLockingFailureException;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error is an RFC 9457 problem detail with a stable {@code type}, a title and a {@code detail}
 * that says what to fix; a {@code field} (and for several, an {@code errors} list) names the offending
 * fields with their JSON paths ({@code attacks[0].epsilon}). Nothing a client sends produces a 500; no
 * stack trace, class name or server path leaks, and long values are not echoed in full.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        return withField(Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", e.getMessage()), e.field());
    }

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return Problems.of(HttpStatus.NOT_FOUND, "not-found", "Not found", e.getMessage());
    }

    @ExceptionHandler(ConflictException.class)
    ProblemDetail conflict(ConflictException e) {
        return Problems.of(HttpStatus.CONFLICT, "illegal-transition", "Not possible in the current state", e.getMessage());
    }

    @ExceptionHandler(CorruptedArtifactException.class)
    ProblemDetail corrupted(CorruptedArtifactException e) {
        return Problems.of(HttpStatus.CONFLICT, "corrupted-artifact", "Corrupted model file", e.getMessage());
    }

    @ExceptionHandler(ForbiddenException.class)
    ProblemDetail forbidden(ForbiddenException e) {
        return Problems.of(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", e.getMessage());
    }

    @ExceptionHandler(TooManyRequestsException.class)
    ResponseEntity<ProblemDetail> tooMany(TooManyRequestsException e) {
        ResponseEntity.BodyBuilder r = ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS);
        if (e.retryAfterSeconds() > 0) {
            r.header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()));
        }
        return r.body(Problems.of(HttpStatus.TOO_MANY_REQUESTS, "too-many-requests", "Too many requests", e.getMessage()));
    }

    @ExceptionHandler(ObjectOptimisticLockingFailureException.class)
    ProblemDetail concurrentChange(ObjectOptimisticLockingFailureException e) {
        return Problems.of(HttpStatus.CONFLICT, "concurrent-change", "Changed meanwhile",
                "the resource was changed by another request while this one was handled; send it again");
    }

    /**
     * A constraint of the database refused a write because another request changed or deleted what it refers to
     * meanwhile (an evaluation of a model deleted between its lookup and its insert); every text field has a length
     * limit checked before, so this is a race, not bad input.
     */
    @ExceptionHandler(DataIntegrityViolationException.class)
    ProblemDetail integrity(DataIntegrityViolationException e) {
        return Problems.of(HttpStatus.CONFLICT, "concurrent-change", "Changed meanwhile",
                "what the request refers to was changed or deleted by another request while it was handled; look at it again and send it again");
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ProblemDetail typeMismatch(MethodArgumentTypeMismatchException e) {
        return withField(Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                e.getName() + " must be " + describe(e.getRequiredType()) + "; got '" + Problems.clip(e.getValue()) + "'"), e.getName());
    }

    @ExceptionHandler(MultipartException.class)
    ProblemDetail multipart(MultipartException e) {
        if (e instanceof MaxUploadSizeExceededException) {
            return Problems.of(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Upload too large",
                    "the upload exceeds the server's upload size limit; send a smaller file");
        }
        return Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                "the request must be multipart/form-data with a part named 'file' and the fields model and dataset");
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e) {
        log.error("unexpected error", e);
        return Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                "the server failed to handle the request; it has been logged");
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(MethodArgumentNotValidException e, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        List<Map<String, Object>> errors = e.getBindingResult().getFieldErrors().stream()
                .map(f -> Map.<String, Object>of("field", f.getField(), "message",
                        f.getField() + " " + f.getDefaultMessage() + "; got " + Problems.clip(f.getRejectedValue())))
                .toList();
        String detail = String.join("; ", errors.stream().map(m -> (String) m.get("message")).toList());
        ProblemDetail p = Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
        p.setProperty("errors", errors);
        if (!errors.isEmpty()) {
            p.setProperty("field", errors.get(0).get("field"));
        }
        return ResponseEntity.badRequest().body(p);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(HandlerMethodValidationException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String detail = e.getAllErrors().stream().map(err -> Problems.clip(err.getDefaultMessage()))
                .reduce((a, b) -> a + "; " + b).orElse("invalid");
        return ResponseEntity.badRequest().body(Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail));
    }

    /**
     * A body that does not bind: an unknown field, a value of the wrong type (a fraction where an integer
     * belongs, text where a number belongs), or text that is not JSON; the detail names the JSON path.
     */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        Throwable cause = e.getMostSpecificCause();
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BodyTooLargeException) {
                return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                        .body(Problems.of(HttpStatus.CONTENT_TOO_LARGE, "too-large", "Request too large", t.getMessage()));
            }
        }
        ProblemDetail p;
        if (cause instanceof UnrecognizedPropertyException u) {
            String field = path(u);
            Collection<Object> known = u.getKnownPropertyIds() == null ? List.of() : u.getKnownPropertyIds();
            p = withField(Problems.of(HttpStatus.BAD_REQUEST, "unknown-field", "Unknown field",
                    "unknown field '" + Problems.clip(field) + "'; the fields here are " + new TreeSet<>(known.stream().map(String::valueOf).toList())),
                    field);
        } else if (cause instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
            String field = path(m);
            String got = m instanceof InvalidFormatException f ? "; got '" + Problems.clip(f.getValue()) + "'" : "";
            p = withField(Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                    field + " must be " + describe(m.getTargetType()) + got), field);
        } else if (cause instanceof StreamReadException s) {
            p = Problems.of(HttpStatus.BAD_REQUEST, "unreadable-body", "Unreadable request body",
                    "the body is not valid JSON" + (s.getLocation() == null ? "" : " (line " + s.getLocation().getLineNr()
                            + ", column " + s.getLocation().getColumnNr() + ")"));
        } else if (cause instanceof JacksonException j && !j.getPath().isEmpty()) {
            String field = path(j);
            p = withField(Problems.of(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", field + " has an invalid value"), field);
        } else {
            p = Problems.of(HttpStatus.BAD_REQUEST, "unreadable-body", "Unreadable request body",
                    "the body is missing or is not a JSON object for this endpoint");
        }
        return ResponseEntity.badRequest().body(p);
    }

    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (body instanceof ProblemDetail p && (p.getType() == null || "about:blank".equals(p.getType().toString()))) {
            p.setType(URI.create(Problems.BASE + "http-" + status.value()));
        }
        return super.createResponseEntity(body, headers, status, request);
    }

    /** The JSON path of a binding error: {@code attacks[0].epsilon}. */
    static String path(JacksonException e) {
        StringBuilder b = new StringBuilder();
        for (JacksonException.Reference r : e.getPath()) {
            if (r.getPropertyName() != null) {
                if (!b.isEmpty()) {
                    b.append('.');
                }
                b.append(r.getPropertyName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.isEmpty() ? "(body)" : b.toString();
    }

    /** What a value of {@code type} looks like, in words a client understands (no Java class names). */
    static String describe(Class<?> type) {
        if (type == null) {
            return "another kind of value";
        }
        if (type.isEnum()) {
            List<String> names = new ArrayList<>();
            for (Object c : type.getEnumConstants()) {
                names.add(c.toString());
            }
            return "one of " + names;
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class || type == Short.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == UUID.class) {
            return "a UUID";
        }
        if (Collection.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        return "an object";
    }

    private static ProblemDetail withField(ProblemDetail p, String field) {
        if (field != null) {
            p.setProperty("field", field);
        }
        return p;
    }
}
