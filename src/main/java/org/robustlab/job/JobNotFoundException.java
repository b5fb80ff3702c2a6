package org.robustlab.job;

import java.util.UUID;

/** No job, model or evaluation with that id. */
public class JobNotFoundException extends RuntimeException {

    public JobNotFoundException(String message) {
        super(message);
    }

    public static JobNotFoundException forId(String what, UUID id) {
        return new JobNotFoundException("no " + what + " with id " + id);
    }
}
