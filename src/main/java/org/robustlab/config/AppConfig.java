package org.robustlab.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
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

    /** The service's clock: every time-dependent rule (leases, ETAs, rate limits) reads it, so tests can set it. */
    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
