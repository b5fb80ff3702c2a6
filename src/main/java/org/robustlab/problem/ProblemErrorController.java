package org.robustlab.problem;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The error page every error without an answer of its own is sent to (a body that cannot be read, a broken chunked
 * encoding, a refusal made with {@code sendError}): a problem document, as everywhere else, in place of Spring Boot's
 * {@code {"timestamp", "status", "error", "path"}}.
 */
@RestController
@Hidden
class ProblemErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<String> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = code instanceof Integer i && i >= 400 && i < 600 ? i : 500;
        String detail = status == 400 ? "the request could not be read: its body, its chunked encoding or its path is malformed;"
                + " check the request" : ProblemErrorReportValve.detail(status);
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(Problems.json(status, detail));
    }
}
