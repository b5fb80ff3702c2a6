package org.robustlab.problem;

/** A request value that is out of range or unknown; {@code field} names it for the problem detail. */
public class InvalidRequestException extends RuntimeException {

    private final String field;

    public InvalidRequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
