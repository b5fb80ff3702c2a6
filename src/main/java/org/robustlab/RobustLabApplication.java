package org.robustlab;

import org.robustlab.security.KeysCommand;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** RobustLab: adversarial robustness training (ARR and baselines) and evaluation as a service. */
@SpringBootApplication
public class RobustLabApplication {

    /** Starts the service; {@code keys ...} manages API keys instead ({@link KeysCommand}). */
    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("keys")) {
            System.exit(KeysCommand.run(RobustLabApplication.class, args, System.out));
        }
        SpringApplication.run(RobustLabApplication.class, args);
    }
}
