package org.robustlab.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The images can write where the service writes. {@code scripts/container-check.sh} builds the image with podman and runs
 * it on empty volumes (too slow and too privileged for {@code ./mvnw test}); this test reads the files as a builder would, so
 * that both Dockerfiles (the CUDA one cannot be built here) are held to it in every run: the last stage's user, the folders it makes and gives to that user, its working folder and its path
 * settings, and the compose file's volumes. Every folder the service writes at start (the runs, the datasets, the admin
 * key's folder, DJL's cache) and every volume mounted on the image must be one the image made and gave to its user, since
 * a named volume starts as a copy of the image's folder, with its owner, and as an empty folder owned by root otherwise.
 */
class ContainerLayoutTest {

    private static final String HOME = "/var/lib/robustlab";

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cuda"})
    void everyFolderTheServiceWritesIsTheImageUsersOwn(String dockerfile) throws IOException {
        String text = Files.readString(Path.of(dockerfile)).replace("\\\n", " ");
        String lastStage = text.substring(text.lastIndexOf("\nFROM "));
        assertThat(lastStage).contains("\nUSER robustlab");
        Set<String> owned = ownedFolders(lastStage);
        assertThat(owned).as("folders made and given to robustlab in %s", dockerfile).isNotEmpty();
        Matcher workdir = Pattern.compile("\nWORKDIR (\\S+)").matcher(lastStage);
        assertThat(workdir.find()).isTrue();
        String work = workdir.group(1);

        Map<String, String> env = env(lastStage);
        List<String> written = new ArrayList<>();
        written.add(env.getOrDefault("ROBUSTLAB_DATA_DIR", work + "/data/datasets"));
        written.add(env.getOrDefault("ROBUSTLAB_RUNS_DIR", work + "/data/runs"));
        written.add(parent(env.getOrDefault("ROBUSTLAB_ADMIN_KEY_FILE", work + "/data/admin-key")));
        if (env.containsKey("DJL_CACHE_DIR")) {
            written.add(env.get("DJL_CACHE_DIR"));
        }
        // the compose file's settings and volumes for the services built from this file
        String compose = Files.readString(Path.of("docker-compose.yml"));
        Matcher dataDir = Pattern.compile("ROBUSTLAB_DATA_DIR: (\\S+)").matcher(compose);
        while (dataDir.find()) {
            written.add(dataDir.group(1));
        }
        List<String> volumes = new ArrayList<>();
        Matcher volume = Pattern.compile("- [\\w.-]+:(" + Pattern.quote(HOME) + "\\S*)").matcher(compose);
        while (volume.find()) {
            volumes.add(volume.group(1));
        }
        Matcher run = Pattern.compile("-v [\\w.-]+:(" + Pattern.quote(HOME) + "\\S*)").matcher(text);
        while (run.find()) {
            volumes.add(run.group(1));
        }
        assertThat(volumes).isNotEmpty();
        for (String v : volumes) {
            assertThat(owned).as("the volume at %s starts as the image's folder, owned by robustlab", v).contains(v);
        }
        for (String w : written) {
            assertThat(owned.stream().anyMatch(o -> w.equals(o) || w.startsWith(o + "/")))
                    .as("%s is under a folder the image gave robustlab (%s)", w, owned).isTrue();
        }
    }

    /** The folders a RUN line makes with mkdir and hands to robustlab with chown (recursively, or each named). */
    private static Set<String> ownedFolders(String stage) {
        Set<String> owned = new LinkedHashSet<>();
        for (String line : stage.split("\n")) {
            if (!line.startsWith("RUN ") || !line.contains("chown")) {
                continue;
            }
            Matcher mkdir = Pattern.compile("mkdir -p ((?:/\\S+\\s*)+)").matcher(line);
            Matcher chown = Pattern.compile("chown (-R )?robustlab(?::robustlab)? ((?:/\\S+\\s*)+)").matcher(line);
            if (!mkdir.find() || !chown.find()) {
                continue;
            }
            List<String> given = List.of(chown.group(2).trim().split("\\s+"));
            for (String folder : mkdir.group(1).trim().split("\\s+")) {
                boolean recursive = chown.group(1) != null;
                for (String path = folder; path.startsWith(HOME); path = parent(path)) {
                    String p = path;
                    if (given.contains(p) || recursive && given.stream().anyMatch(g -> p.startsWith(g + "/"))) {
                        owned.add(p);
                    }
                }
            }
        }
        return owned;
    }

    private static Map<String, String> env(String stage) {
        Map<String, String> env = new LinkedHashMap<>();
        Matcher block = Pattern.compile("\nENV ([^\n]+)").matcher(stage);
        while (block.find()) {
            Matcher pair = Pattern.compile("(\\w+)=(\\S+)").matcher(block.group(1));
            while (pair.find()) {
                env.put(pair.group(1), pair.group(2));
            }
        }
        return env;
    }

    private static String parent(String path) {
        return path.substring(0, Math.max(0, path.lastIndexOf('/')));
    }
}
