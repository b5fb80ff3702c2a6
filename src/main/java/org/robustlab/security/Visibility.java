package org.robustlab.security;

import org.robustlab.config.RobustLabProperties;
import org.springframework.stereotype.Component;

/**
 * Who may read what. By default every key reads every job, evaluation and model of the lab; with
 * {@code robustlab.security.private-reads} viewers and researchers see only their own (others' answer
 * 404, as if they did not exist) and admins see all.
 */
@Component
public class Visibility {

    private final boolean privateReads;

    Visibility(RobustLabProperties properties) {
        this.privateReads = properties.security().privateReads();
    }

    /** Whether the current caller may read a resource owned by {@code owner}. */
    public boolean canRead(String owner) {
        if (!privateReads) {
            return true;
        }
        Caller c = Caller.current();
        return c.role() == Role.ADMIN || c.name().equals(owner);
    }

    /**
     * The one owner whose resources the caller may read, or null when it may read everyone's (reads are open, or it is an
     * admin).
     */
    public String readableOwner() {
        return !privateReads || Caller.current().role() == Role.ADMIN ? null : Caller.current().name();
    }

    /**
     * The owner a listing is restricted to: {@code requested} (a filter the client asked for, or null), narrowed
     * to the caller's own name under private reads. Returns {@link #NOBODY} when the two cannot both hold.
     */
    public String listOwner(String requested) {
        if (!privateReads || Caller.current().role() == Role.ADMIN) {
            return requested;
        }
        String own = Caller.current().name();
        return requested == null || requested.equals(own) ? own : NOBODY;
    }

    /** An owner name no key can have (names have no control characters): an empty listing. */
    public static final String NOBODY = "\u0000";
}
