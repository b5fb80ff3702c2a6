package org.robustlab.execution;

/**
 * The states of training and evaluation jobs. Every job ends in one of the last four: STOPPED is a training
 * job ended early by its catastrophic-overfitting stop, with its models (the best-robust one is the one to use).
 */
public enum JobState {
    QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED, STOPPED;

    public boolean isTerminal() {
        return this != QUEUED && this != RUNNING;
    }
}
