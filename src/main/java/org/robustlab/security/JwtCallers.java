package org.robustlab.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.robustlab.config.RobustLabProperties;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimValidator;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtDecoders;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.security.oauth2.jwt.JwtValidators;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.jwt.SupplierJwtDecoder;
import org.springframework.stereotype.Component;

/**
 * Callers from OIDC bearer tokens (JWTs), for labs with an identity provider: the token's signature, expiry,
 * issuer and audience are checked, its username claim names the caller (the owner of what it creates, as a
 * key's name does) and its roles claim gives the role. Off unless {@code robustlab.security.jwt} names a key
 * source; API keys work either way.
 */
@Component
public class JwtCallers {

    /** Why a token was refused, said to the client (never the token itself). */
    public static final class Refused extends Exception {
        private final int status;

        Refused(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        public int status() {
            return status;
        }
    }

    private final RobustLabProperties.Jwt settings;
    private final JwtDecoder decoder;

    JwtCallers(RobustLabProperties properties) throws IOException, GeneralSecurityException {
        this.settings = properties.security().jwt();
        this.decoder = settings.enabled() ? decoder(settings) : null;
    }

    public boolean enabled() {
        return decoder != null;
    }

    /** The caller a token stands for; a {@link Refused} with 401 for a bad token, 403 for one without a role. */
    public Caller authenticate(String token) throws Refused {
        Jwt jwt;
        try {
            jwt = decoder.decode(token);
        } catch (JwtException e) {
            throw new Refused(401, "the bearer token was refused: " + reason(e));
        }
        String claim = blankOr(settings.usernameClaim(), "preferred_username");
        String name = jwt.getClaimAsString(claim);
        if (name == null || name.isBlank()) {
            name = jwt.getSubject();
        }
        if (name == null || name.isBlank() || name.length() > 200) {
            throw new Refused(401, "the bearer token names no caller: it needs a '" + claim + "' or 'sub' claim of at most 200 characters");
        }
        String rolesClaim = blankOr(settings.rolesClaim(), "roles");
        Optional<Role> role = highestRole(claim(jwt.getClaims(), rolesClaim));
        if (role.isEmpty()) {
            throw new Refused(403, "the bearer token carries no RobustLab role: its '" + rolesClaim
                    + "' claim must hold viewer, researcher or admin");
        }
        String id = "jwt " + jwt.getIssuer() + " " + jwt.getSubject();
        return new Caller(UUID.nameUUIDFromBytes(id.getBytes(StandardCharsets.UTF_8)), name, role.get());
    }

    /** The value at a dotted path of the claims (realm_access.roles), or null. */
    static Object claim(Map<String, Object> claims, String path) {
        Object value = claims;
        for (String part : path.split("\\.")) {
            if (!(value instanceof Map<?, ?> map)) {
                return null;
            }
            value = map.get(part);
        }
        return value;
    }

    /** The highest of the roles in a claim: a string (roles separated by spaces or commas) or a list of strings. */
    static Optional<Role> highestRole(Object claim) {
        List<String> names = new ArrayList<>();
        if (claim instanceof String s) {
            names.addAll(List.of(s.split("[\\s,]+")));
        } else if (claim instanceof Collection<?> c) {
            c.forEach(v -> names.add(String.valueOf(v)));
        }
        Role best = null;
        for (String n : names) {
            for (Role r : Role.values()) {
                if (r.id().equals(n.strip().toLowerCase(Locale.ROOT)) && (best == null || r.includes(best))) {
                    best = r;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static String reason(JwtException e) {
        String m = e.getMessage() == null ? "invalid" : e.getMessage();
        // Nimbus's and Spring's messages name the failed check (expired, signature, issuer, audience); keep it short
        m = m.replaceAll("\\s+", " ");
        return m.length() > 160 ? m.substring(0, 160) + "..." : m;
    }

    private static String blankOr(String s, String fallback) {
        return s == null || s.isBlank() ? fallback : s;
    }

    private static JwtDecoder decoder(RobustLabProperties.Jwt s) throws IOException, GeneralSecurityException {
        if (s.issuerUri() != null && !s.issuerUri().isBlank()) {
            // discovery happens at the first token, so the service starts while the provider is down
            return new SupplierJwtDecoder(() -> {
                JwtDecoder d = JwtDecoders.fromIssuerLocation(s.issuerUri());
                if (d instanceof NimbusJwtDecoder n) {
                    n.setJwtValidator(validator(s, s.issuerUri()));
                }
                return d;
            });
        }
        NimbusJwtDecoder d;
        if (s.jwkSetUri() != null && !s.jwkSetUri().isBlank()) {
            d = NimbusJwtDecoder.withJwkSetUri(s.jwkSetUri()).build();
        } else {
            d = NimbusJwtDecoder.withPublicKey(publicKey(s)).build();
        }
        d.setJwtValidator(validator(s, s.issuer()));
        return d;
    }

    private static OAuth2TokenValidator<Jwt> validator(RobustLabProperties.Jwt s, String issuer) {
        List<OAuth2TokenValidator<Jwt>> checks = new ArrayList<>();
        checks.add(issuer == null || issuer.isBlank() ? JwtValidators.createDefault() : JwtValidators.createDefaultWithIssuer(issuer));
        if (s.audience() != null && !s.audience().isBlank()) {
            checks.add(new JwtClaimValidator<List<String>>("aud", aud -> aud != null && aud.contains(s.audience())));
        }
        return new DelegatingOAuth2TokenValidator<>(checks);
    }

    private static RSAPublicKey publicKey(RobustLabProperties.Jwt s) throws IOException, GeneralSecurityException {
        String pem = Files.readString(s.publicKeyFile(), StandardCharsets.US_ASCII);
        String base64 = pem.replaceAll("-----(BEGIN|END) PUBLIC KEY-----", "").replaceAll("\\s", "");
        try {
            return (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(base64)));
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new GeneralSecurityException("robustlab.security.jwt.public-key-file " + s.publicKeyFile()
                    + " is not an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)", e);
        }
    }
}
