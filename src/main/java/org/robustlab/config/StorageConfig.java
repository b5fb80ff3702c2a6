package org.robustlab.config;

import java.nio.file.Path;
import org.robustlab.storage.FileSystemObjectStore;
import org.robustlab.storage.ObjectStore;
import org.robustlab.storage.S3ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The artifact store named by {@code robustlab.storage.*}: a folder (default: runs-dir) or an S3 bucket. */
@Configuration
class StorageConfig {

    private static final Logger log = LoggerFactory.getLogger(StorageConfig.class);

    @Bean
    ObjectStore objectStore(RobustLabProperties properties) {
        RobustLabProperties.Storage s = properties.storage();
        ObjectStore store;
        if (s.type().equals("s3")) {
            if (s.s3() == null) {
                throw new IllegalArgumentException("robustlab.storage.type is s3 but robustlab.storage.s3.* is not set");
            }
            store = new S3ObjectStore(s.s3());
        } else {
            Path root = s.root() == null || s.root().toString().isBlank() ? properties.runsDir() : s.root();
            store = new FileSystemObjectStore(root);
        }
        log.info("artifact store: {}", store.description());
        return store;
    }
}
