package org.robustlab.problem;

import java.net.URI;
import org.springframework.core.MethodParameter;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.HttpMessageConverter;
import org.springframework.http.server.ServerHttpRequest;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyAdvice;

/**
 * A problem's {@code instance} is the request's path; a path of thousands of characters is cut, like
 * any other echoed value ({@link Problems#clip}).
 */
@RestControllerAdvice
class ProblemInstanceAdvice implements ResponseBodyAdvice<Object> {

    private static final int MAX_PATH = 120;

    @Override
    public boolean supports(MethodParameter returnType, Class<? extends HttpMessageConverter<?>> converterType) {
        return true;
    }

    @Override
    public Object beforeBodyWrite(Object body, MethodParameter returnType, MediaType contentType,
            Class<? extends HttpMessageConverter<?>> converterType, ServerHttpRequest request, ServerHttpResponse response) {
        if (body instanceof ProblemDetail p) {
            String path = p.getInstance() != null ? p.getInstance().getRawPath() : request.getURI().getRawPath();
            if (path != null && path.length() > MAX_PATH) {
                p.setInstance(URI.create(path.substring(0, MAX_PATH).replaceAll("%[0-9A-Fa-f]?$", "")));
            }
        }
        return body;
    }
}
