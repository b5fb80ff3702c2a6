package org.robustlab.security;

import java.util.Locale;

/** What a key may do; each role may do what the roles before it may. */
public enum Role {
    /** Reads everything readable. */
    VIEWER,
    /** Also submits jobs and evaluations, uploads models, and cancels its own jobs and evaluations. */
    RESEARCHER,
    /** Also cancels anyone's, and manages keys. */
    ADMIN;

    public boolean includes(Role other) {
        return ordinal() >= other.ordinal();
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role fromId(String id) {
        for (Role r : values()) {
            if (r.id().equals(id)) {
                return r;
            }
        }
        throw new IllegalArgumentException("role must be one of [viewer, researcher, admin]; got '" + id + "'");
    }
}
