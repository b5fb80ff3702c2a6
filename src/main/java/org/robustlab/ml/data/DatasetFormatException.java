package org.robustlab.ml.data;

/** A dataset file is missing, truncated or not in the expected format; the message names the file. */
public class DatasetFormatException extends RuntimeException {

    public DatasetFormatException(String message) {
        super(message);
    }

    public DatasetFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
