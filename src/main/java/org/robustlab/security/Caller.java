package org.robustlab.security;

import java.util.UUID;
import java.util.function.Supplier;
import org.robustlab.problem.ForbiddenException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Who sent the request: the key, the name it was issued to (the owner of what it creates) and its role.
 *
 * @param keyId the key's id
 * @param name the person or service the key belongs to
 * @param role what it may do
 */
public record Caller(UUID keyId, String name, Role role) {

    /** The caller of the current request; an {@link IllegalStateException} outside an authenticated request. */
    public static Caller current() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        if (a != null && a.getPrincipal() instanceof Caller c) {
            return c;
        }
        throw new IllegalStateException("no authenticated caller");
    }

    /** Whether the current thread serves an authenticated caller. */
    public static boolean isSet() {
        Authentication a = SecurityContextHolder.getContext().getAuthentication();
        return a != null && a.getPrincipal() instanceof Caller;
    }

    /** Whether this caller may change a resource owned by {@code owner} (its own, or any as admin). */
    public boolean mayChange(String owner) {
        return role == Role.ADMIN || role == Role.RESEARCHER && name.equals(owner);
    }

    /** Throws a {@link ForbiddenException} unless this caller may change a resource of {@code owner}. */
    public void requireMayChange(String owner, String what) {
        if (!mayChange(owner)) {
            throw new ForbiddenException(what + " belongs to " + (owner == null ? "no one (it predates keys)" : owner)
                    + "; only its owner or an admin may change it");
        }
    }

    /**
     * Runs {@code work} with {@code caller} as the authenticated caller of this thread (for work the service does
     * on someone's behalf, such as a sweep submitting its jobs), then restores the thread's previous context.
     */
    public static <T> T runAs(Caller caller, Supplier<T> work) {
        var previous = SecurityContextHolder.getContext();
        var context = SecurityContextHolder.createEmptyContext();
        context.setAuthentication(new SecurityConfig.CallerAuthentication(caller));
        SecurityContextHolder.setContext(context);
        try {
            return work.get();
        } finally {
            SecurityContextHolder.setContext(previous);
        }
    }
}
