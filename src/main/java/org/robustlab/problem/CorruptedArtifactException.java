package org.robustlab.problem;

/** A stored model file no longer matches its checksum. */
public class CorruptedArtifactException extends RuntimeException {

    public CorruptedArtifactException(String message) {
        super(message);
    }
}
