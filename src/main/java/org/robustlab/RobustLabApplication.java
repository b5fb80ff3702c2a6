package org.robustlab;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** RobustLab: adversarial robustness training (ARR and baselines) and evaluation as a service. */
@SpringBootApplication
public class RobustLabApplication {

    public static void main(String[] args) {
        SpringApplication.run(RobustLabApplication.class, args);
    }
}
