package org.robustlab.execution;

import java.util.UUID;

/** A row that a worker supervisor runs: a training job or an evaluation, with its {@link Execution}. */
public interface Executable {

    UUID getId();

    Execution execution();

    /** The plan its submission made and stored, as JSON: what the runner runs. */
    String getPlanJson();

    /** Who submitted it (an API key's name). */
    String getOwner();
}
