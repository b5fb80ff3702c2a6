package org.robustlab.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

@Configuration
@org.springframework.scheduling.annotation.EnableScheduling
@EnableConfigurationProperties(RobustLabProperties.class)
class AppConfig {

    /** The data and runs folders exist from the start (the disk-space health check looks at the runs folder). */
    AppConfig(RobustLabProperties properties) {
        try {
            Files.createDirectories(properties.runsDir());
            Files.createDirectories(properties.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + properties.runsDir() + " or " + properties.dataDir(), e);
        }
    }
}
