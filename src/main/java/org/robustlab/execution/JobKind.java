package org.robustlab.execution;

/** The two kinds of work a worker process runs; each is queued as a db-scheduler task of its own name. */
public enum JobKind {
    TRAINING("training job", "training-job"),
    EVALUATION("evaluation", "evaluation-job");

    private final String noun;
    private final String taskName;

    JobKind(String noun, String taskName) {
        this.noun = noun;
        this.taskName = taskName;
    }

    /** How messages name one ("training job", "evaluation"). */
    public String noun() {
        return noun;
    }

    /** The db-scheduler task that runs this kind. */
    public String taskName() {
        return taskName;
    }
}
