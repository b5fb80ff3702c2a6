package org.robustlab.execution;

import java.util.UUID;

/**
 * This instance's execution of a job has been superseded: another instance took the job over (this one
 * was paused or cut off long enough to be declared dead), so nothing it does may be written any more.
 */
public class FencedException extends RuntimeException {

    public FencedException(String what, UUID id) {
        super(what + " " + id + " is now run by another execution; this one stops without writing");
    }
}
