package org.robustlab.problem;

/** The request does not fit the job's state, e.g. cancelling a finished job. */
public class ConflictException extends RuntimeException {

    public ConflictException(String message) {
        super(message);
    }
}
