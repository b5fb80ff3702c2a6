package org.robustlab.security;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.robustlab.problem.Problems;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.http.HttpMethod;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.intercept.AuthorizationFilter;
import org.springframework.security.web.firewall.RequestRejectedHandler;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The one place that says who may do what. Health, the OpenAPI document and Swagger UI are public; every
 * read of the API needs a key (viewer or above); POST /comparisons is a read; key management needs an
 * admin; every other change (submit, upload, cancel) needs a researcher, and services check ownership on
 * top (a researcher cancels only its own). Metrics and Prometheus need a key. No session, no cookie: the
 * key travels with each request, so there is nothing to forge across sites (CSRF protection is off).
 */
@Configuration
class SecurityConfig {

    /**
     * Spring Security's firewall refuses paths that could be read two ways (a double-encoded slash or percent, a raw
     * {@code ../}, a semicolon): a 400 in problem+json that says what to fix, like every other refusal.
     */
    @Bean
    RequestRejectedHandler problemForRejectedRequests() {
        return (request, response, e) -> {
            if (response.isCommitted()) {
                return;
            }
            response.setStatus(400);
            response.setContentType("application/problem+json");
            response.setCharacterEncoding("UTF-8");
            response.getWriter().write(Problems.json(400, "rejected-path", "Bad Request", "the request's path was refused: it holds"
                    + " an encoded or double-encoded slash, backslash or percent sign, a '..' or '.' segment, a semicolon or another"
                    + " character that could make it name something else; send the plain path (ids are UUIDs)"));
        };
    }

    @Bean
    SecurityFilterChain api(HttpSecurity http, ApiKeys keys, JwtCallers jwts) throws Exception {
        http.csrf(c -> c.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .httpBasic(b -> b.disable())
                .formLogin(f -> f.disable())
                .logout(l -> l.disable())
                .requestCache(c -> c.disable())
                .anonymous(a -> { })
                .addFilterBefore(new ApiKeyFilter(keys, jwts), AuthorizationFilter.class)
                .exceptionHandling(e -> e
                        .authenticationEntryPoint((request, response, ex) -> problem(response, 401, "unauthorized", "Unauthorized",
                                "this needs an API key: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"
                                        + " (in a browser, sign in at /signin)"))
                        .accessDeniedHandler((request, response, ex) -> problem(response, 403, "forbidden", "Forbidden",
                                "your key's role may not do this: reads need viewer, changes researcher, key management admin")))
                .authorizeHttpRequests(a -> a
                        // the dispatches that finish an already authorized request (an event stream) or render its error
                        .dispatcherTypeMatchers(DispatcherType.ASYNC, DispatcherType.ERROR).permitAll()
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/v3/api-docs", "/v3/api-docs/**",
                                "/swagger-ui.html", "/swagger-ui/**", "/error", "/signin", "/signout", "/", "/index.html", "/dashboard/**",
                                "/favicon.ico").permitAll()
                        .requestMatchers("/api/v1/keys", "/api/v1/keys/**").hasRole("ADMIN")
                        .requestMatchers(HttpMethod.GET, "/api/**").hasRole("VIEWER")
                        .requestMatchers(HttpMethod.HEAD, "/api/**").hasRole("VIEWER")
                        .requestMatchers(HttpMethod.POST, "/api/v1/comparisons").hasRole("VIEWER")
                        .requestMatchers("/api/**").hasRole("RESEARCHER")
                        .requestMatchers("/actuator/**").hasRole("VIEWER")
                        .anyRequest().authenticated());
        return http.build();
    }

    /** On start, makes sure an admin key exists (and says where it was written). */
    @EventListener(ApplicationReadyEvent.class)
    void adminKey(ApplicationReadyEvent event) throws IOException {
        event.getApplicationContext().getBean(ApiKeys.class).bootstrap();
    }

    static void problem(HttpServletResponse response, int status, String type, String title, String detail) throws IOException {
        response.setStatus(status);
        if (status == 401) {
            response.setHeader("WWW-Authenticate", "Bearer realm=\"robustlab\"");
        }
        response.setContentType("application/problem+json");
        response.setCharacterEncoding("UTF-8");
        response.getOutputStream().write(Problems.json(status, type, title, detail).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Reads the key from {@code Authorization: Bearer} or {@code X-API-Key}; an unknown or revoked key is a 401
     * at once, a request without one goes on as anonymous (and is refused by the rules unless public). With OIDC
     * on, a bearer token that is not an API key is verified as a JWT: a bad one is a 401, one without a role a 403.
     */
    static final class ApiKeyFilter extends OncePerRequestFilter {

        /** The header the dashboard's own script sends with every call; with it the sign-in cookie counts for changes too. */
        static final String DASHBOARD_HEADER = "X-RobustLab-Dashboard";

        private final ApiKeys keys;
        private final JwtCallers jwts;

        ApiKeyFilter(ApiKeys keys, JwtCallers jwts) {
            this.keys = keys;
            this.jwts = jwts;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            String secret = secret(request);
            if (secret == null) {
                chain.doFilter(request, response);
                return;
            }
            if (jwts.enabled() && !secret.startsWith(ApiKeys.PREFIX) && isBearer(request)) {
                try {
                    SecurityContextHolder.getContext().setAuthentication(new CallerAuthentication(jwts.authenticate(secret)));
                } catch (JwtCallers.Refused r) {
                    problem(response, r.status(), r.status() == 401 ? "unauthorized" : "forbidden",
                            r.status() == 401 ? "Unauthorized" : "Forbidden", r.getMessage());
                    return;
                }
                chain.doFilter(request, response);
                return;
            }
            Optional<Caller> caller = keys.authenticate(secret);
            if (caller.isEmpty()) {
                problem(response, 401, "unauthorized", "Unauthorized", "the API key is unknown or has been revoked");
                return;
            }
            SecurityContextHolder.getContext().setAuthentication(new CallerAuthentication(caller.get()));
            chain.doFilter(request, response);
        }

        private static boolean isBearer(HttpServletRequest request) {
            String auth = request.getHeader("Authorization");
            return auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7);
        }

        private static String secret(HttpServletRequest request) {
            String auth = request.getHeader("Authorization");
            if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return auth.substring(7).strip();
            }
            String key = request.getHeader("X-API-Key");
            if (key != null) {
                return key.strip();
            }
            // a signed-in browser's cookie counts for reads, and for changes only with the dashboard's own header: another
            // site can neither send the SameSite=Strict cookie nor add a custom header (that needs a CORS preflight, which
            // this service never grants), so no other site can make the browser change anything
            boolean read = "GET".equals(request.getMethod()) || "HEAD".equals(request.getMethod());
            boolean dashboard = request.getHeader(DASHBOARD_HEADER) != null;
            if ((read || dashboard) && request.getCookies() != null) {
                for (Cookie c : request.getCookies()) {
                    if (SignInController.COOKIE.equals(c.getName())) {
                        return c.getValue();
                    }
                }
            }
            return null;
        }
    }

    /** An authenticated caller, with the authorities of its role and every role below it. */
    static final class CallerAuthentication extends AbstractAuthenticationToken {

        private final Caller caller;

        CallerAuthentication(Caller caller) {
            super(List.of(Role.values()).stream().filter(r -> caller.role().includes(r))
                    .map(r -> new SimpleGrantedAuthority("ROLE_" + r.name())).toList());
            this.caller = caller;
            setAuthenticated(true);
        }

        @Override
        public Object getCredentials() {
            return null;
        }

        @Override
        public Object getPrincipal() {
            return caller;
        }

        @Override
        public String getName() {
            return caller.name();
        }
    }
}
