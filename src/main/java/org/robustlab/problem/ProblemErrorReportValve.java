package org.robustlab.problem;

import java.io.IOException;
import java.io.Writer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;

/**
 * Tomcat's own error answers as problem+json instead of its HTML page: requests that Tomcat rejects
 * before Spring sees them (an encoded slash or an invalid character in the path, a request line or
 * headers over the size limit) and any error no handler wrote a body for. Installed on the host by
 * {@link WebServerConfig}.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(Problems.json(status, detail(status)));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone or the response is committed: nothing more to say
        }
    }

    static String detail(int status) {
        return switch (status) {
            case 400 -> "the request was rejected before it reached the API: its path has an encoded slash or backslash or an"
                    + " invalid character, or its request line and headers are over the server's limit (8 KB); check the URL";
            case 404 -> "no such resource; the API is under /api/v1 (see /v3/api-docs)";
            case 413 -> "the request body is over the server's limit";
            case 414 -> "the URL is over the server's limit (8 KB)";
            default -> "the server answered " + status;
        };
    }
}
