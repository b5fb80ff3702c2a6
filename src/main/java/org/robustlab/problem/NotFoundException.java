package org.robustlab.problem;

import java.util.UUID;

/** No job, model or evaluation with that id. */
public class NotFoundException extends RuntimeException {

    public NotFoundException(String message) {
        super(message);
    }

    public static NotFoundException forId(String what, UUID id) {
        return new NotFoundException("no " + what + " with id " + id);
    }
}
