package org.robustlab.e2e;

/** The service flow on the default database, H2 in a file (the test class's own). */
class ServiceFlowTest extends ServiceFlowContract {
}
