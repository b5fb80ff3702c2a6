package org.robustlab.e2e;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The service flow on the default database, H2 in a file. */
class ServiceFlowTest extends ServiceFlowContract {

    @DynamicPropertySource
    static void h2(DynamicPropertyRegistry r) {
        r.add("spring.datasource.url", () -> "jdbc:h2:file:" + dir.resolve("db") + ";DB_CLOSE_ON_EXIT=FALSE");
    }
}
