package org.robustlab.problem;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.core.StandardHost;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/** Tomcat's error answers in problem+json ({@link ProblemErrorReportValve}), and TRACE refused in problem+json. */
@Configuration
class WebServerConfig {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> problemErrorReports() {
        return factory -> {
            factory.addContextCustomizers(context -> {
                if (context.getParent() instanceof StandardHost host) {
                    host.setErrorReportValveClass(ProblemErrorReportValve.class.getName());
                }
            });
            // Tomcat's own refusal of TRACE goes to the error page without a problem document; let TRACE in so that the
            // first filter (traceRefused) refuses it in problem+json. No TRACE reaches a servlet, so nothing echoes a
            // request's headers back.
            factory.addConnectorCustomizers(connector -> connector.setAllowTrace(true));
        };
    }

    /** TRACE (which would echo the request, credentials included) is a 405 problem, before security or any servlet. */
    @Bean
    FilterRegistrationBean<Filter> traceRefused() {
        Filter filter = (ServletRequest request, ServletResponse response, FilterChain chain) -> {
            if (request instanceof HttpServletRequest http && "TRACE".equalsIgnoreCase(http.getMethod())) {
                HttpServletResponse out = (HttpServletResponse) response;
                out.setStatus(405);
                out.setHeader("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
                out.setContentType("application/problem+json");
                out.setCharacterEncoding("UTF-8");
                out.getWriter().write(Problems.json(405, "TRACE is not answered here; the API takes GET, HEAD, POST, PUT, PATCH,"
                        + " DELETE and OPTIONS (see /v3/api-docs)"));
                return;
            }
            chain.doFilter(request, response);
        };
        FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>(filter);
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        return registration;
    }
}
