package org.robustlab.job;

/** The request does not fit the job's state, e.g. cancelling a finished job. */
public class IllegalTransitionException extends RuntimeException {

    public IllegalTransitionException(String message) {
        super(message);
    }
}
