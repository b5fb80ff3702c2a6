package org.robustlab.problem;

import java.io.IOException;

/** Thrown while reading a request body past its limit; the binding error it causes answers 413. */
public final class BodyTooLargeException extends IOException {

    public BodyTooLargeException(long max) {
        super("the request body is over " + max + " bytes (robustlab.limits.max-json-body)");
    }
}
