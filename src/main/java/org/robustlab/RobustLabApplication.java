package org.robustlab;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** RobustLab: adversarial robustness training (ARR and baselines) and evaluation as a service. */
@SpringBootApplication
public class RobustLabApplication {

    /** Starts the service; {@code keys ...} manages API keys instead ({@link org.robustlab.security.KeysCommand}). */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("keys")) {
            System.exit(org.robustlab.security.KeysCommand.run(RobustLabApplication.class, args, System.out));
        }
        SpringApplication.run(RobustLabApplication.class, args);
    }
}
