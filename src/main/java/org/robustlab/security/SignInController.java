package org.robustlab.security;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Signing a browser in, for the HTML pages (reports, comparisons): a form that takes an API key and sets it
 * as an HttpOnly, SameSite=Strict cookie. The key filter accepts that cookie for reads only (GET and HEAD),
 * so a page of another site can never make the browser change anything with it; changes need the key in a
 * header.
 */
@RestController
@Hidden
class SignInController {

    static final String COOKIE = "robustlab-key";

    private final ApiKeys keys;

    SignInController(ApiKeys keys) {
        this.keys = keys;
    }

    @GetMapping(path = "/signin", produces = MediaType.TEXT_HTML_VALUE)
    String form(@RequestParam(defaultValue = "/") String next) {
        return """
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>RobustLab: sign in</title></head>
                <body><h1>RobustLab</h1><form method="post" action="/signin">
                <label>API key <input type="password" name="key" autocomplete="current-password" required></label>
                <input type="hidden" name="next" value="%s"><button type="submit">Sign in</button></form>
                <p>The key is kept in this browser as a cookie for reading pages; it is sent to no other site.</p></body></html>"""
                .formatted(safeNext(next).replace("\"", "&quot;").replace("<", "&lt;"));
    }

    @PostMapping(path = "/signin", consumes = MediaType.APPLICATION_FORM_URLENCODED_VALUE)
    ResponseEntity<String> signIn(@RequestParam(defaultValue = "") String key, @RequestParam(defaultValue = "/") String next,
            HttpServletRequest request) {
        if (crossSite(request)) {
            // login CSRF: a page of another site must not sign this browser in with a key of its choosing
            return ResponseEntity.status(403).contentType(MediaType.APPLICATION_PROBLEM_JSON).body("""
                    {"type": "https://robustlab.org/problems/forbidden", "title": "Forbidden", "status": 403,
                     "detail": "the sign-in form was posted from another site; sign in from this service's own /signin page"}""");
        }
        if (keys.authenticate(key.strip()).isEmpty()) {
            return ResponseEntity.status(401).contentType(MediaType.TEXT_HTML)
                    .body("<!doctype html><p>That key is unknown or revoked. <a href=\"/signin\">Try again</a></p>");
        }
        ResponseCookie cookie = ResponseCookie.from(COOKIE, key.strip()).httpOnly(true).sameSite("Strict").path("/")
                .maxAge(Duration.ofDays(7)).build();
        return ResponseEntity.status(303).header(HttpHeaders.SET_COOKIE, cookie.toString())
                .location(URI.create(safeNext(next))).build();
    }

    /** Forgets the browser's key (the cookie); the dashboard's sign-out button. */
    @PostMapping(path = "/signout")
    ResponseEntity<Void> signOut() {
        ResponseCookie cookie = ResponseCookie.from(COOKIE, "").httpOnly(true).sameSite("Strict").path("/").maxAge(0).build();
        return ResponseEntity.status(303).header(HttpHeaders.SET_COOKIE, cookie.toString()).location(URI.create("/signin")).build();
    }

    /**
     * Only a path of this site that is a valid URI reference: no scheme, no host, no protocol-relative {@code //}, no
     * character a Location header cannot carry; anything else is {@code /}.
     */
    static String safeNext(String next) {
        if (next == null || !next.startsWith("/") || next.startsWith("//") || next.contains("\\") || next.length() >= 500) {
            return "/";
        }
        try {
            URI uri = new URI(next);
            return uri.getScheme() == null && uri.getRawAuthority() == null && next.chars().allMatch(c -> c > 0x20 && c < 0x7f)
                    ? next : "/";
        } catch (URISyntaxException e) {
            return "/";
        }
    }

    /**
     * Whether a form post comes from a page of another site: the browser says so in {@code Sec-Fetch-Site}, or its
     * {@code Origin} names another host than the one it posted to. A client that sends neither (curl, a test) is not a
     * browser page of another site.
     */
    static boolean crossSite(HttpServletRequest request) {
        String fetchSite = request.getHeader("Sec-Fetch-Site");
        if (fetchSite != null && !fetchSite.equals("same-origin") && !fetchSite.equals("none")) {
            return true;
        }
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        if (origin == null) {
            return false;
        }
        String host = request.getHeader(HttpHeaders.HOST);
        try {
            URI o = new URI(origin);
            return host == null || o.getRawAuthority() == null || !o.getRawAuthority().equalsIgnoreCase(host);
        } catch (URISyntaxException e) {
            return true;
        }
    }
}
