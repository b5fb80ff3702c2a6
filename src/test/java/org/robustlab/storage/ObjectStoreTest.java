package org.robustlab.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The two stores behave alike: the filesystem one, and the S3 one against a real S3 API server (S3Proxy). */
class ObjectStoreTest {

    @TempDir
    static Path temp;
    private static S3ProxyServer s3;
    private static List<ObjectStore> stores;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3ProxyServer(Files.createDirectories(temp.resolve("s3")));
        stores = List.of(new FileSystemObjectStore(temp.resolve("fs")), new S3ObjectStore(s3.settings("robustlab-test", "lab-a")));
    }

    @AfterAll
    static void stop() throws Exception {
        ((S3ObjectStore) stores.get(1)).close();
        s3.close();
    }

    /**
     * Instances that start together all find the bucket missing and all create it; the losers' 409 means it is there, and
     * every one of them starts (a second creation of an existing bucket is the deterministic form of that race).
     */
    @Test
    void instancesStartingTogetherAllGetTheBucket() throws Exception {
        try (S3ObjectStore first = new S3ObjectStore(s3.settings("race-0", "a"))) {
            first.createBucket();
            first.put("k", "v".getBytes());
        }
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            for (int round = 1; round <= 4; round++) {
                String bucket = "race-" + round;
                CyclicBarrier together = new CyclicBarrier(3);
                List<Future<S3ObjectStore>> starts = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    String prefix = "instance-" + i;
                    starts.add(pool.submit(() -> {
                        together.await();
                        return new S3ObjectStore(s3.settings(bucket, prefix));
                    }));
                }
                for (Future<S3ObjectStore> start : starts) {
                    try (S3ObjectStore store = start.get(60, TimeUnit.SECONDS)) {
                        store.put("k", "v".getBytes());
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    static Stream<Integer> stores() {
        return Stream.of(0, 1);
    }

    @ParameterizedTest(name = "store {0}")
    @MethodSource("stores")
    void putReadListDelete(int which) throws IOException {
        ObjectStore store = stores.get(which);
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(which).nextBytes(big);
        Path file = temp.resolve("big-" + which + ".bin");
        Files.write(file, big);
        store.put("models/m1/model.safetensors", file);
        store.put("models/m1/state.json", "{\"epoch\":3}".getBytes());
        store.put("models/m2/state.json", "{}".getBytes());

        assertThat(store.size("models/m1/model.safetensors")).contains((long) big.length);
        try (InputStream in = store.open("models/m1/model.safetensors")) {
            assertThat(in.readAllBytes()).isEqualTo(big);
        }
        assertThat(store.read("models/m1/state.json")).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("{\"epoch\":3}"));
        assertThat(store.list("models/m1/")).containsExactlyInAnyOrder("models/m1/model.safetensors", "models/m1/state.json");
        assertThat(store.list("models/")).hasSize(3);
        assertThat(store.list("nothing/")).isEmpty();

        Path copy = temp.resolve("copy-" + which + "/model.safetensors");
        store.copyTo("models/m1/model.safetensors", copy);
        assertThat(Files.readAllBytes(copy)).isEqualTo(big);

        // replacing is whole: the new content, never a mix
        store.put("models/m1/state.json", "{\"epoch\":4}".getBytes());
        assertThat(new String(store.read("models/m1/state.json").orElseThrow())).isEqualTo("{\"epoch\":4}");

        store.deleteAll("models/m1/");
        assertThat(store.list("models/m1/")).isEmpty();
        assertThat(store.size("models/m1/state.json")).isEmpty();
        assertThat(store.read("models/m1/state.json")).isEmpty();
        assertThatThrownBy(() -> store.open("models/m1/state.json")).isInstanceOf(NoSuchFileException.class);
        store.delete("models/m1/state.json"); // absent: no error
    }

    @ParameterizedTest(name = "store {0}")
    @MethodSource("stores")
    void readersNeverSeeHalfAnObject(int which) throws Exception {
        ObjectStore store = stores.get(which);
        byte[] a = new byte[2 * 1024 * 1024];
        byte[] b = new byte[2 * 1024 * 1024];
        Arrays.fill(a, (byte) 'a');
        Arrays.fill(b, (byte) 'b');
        Path fa = Files.write(temp.resolve("a-" + which), a);
        Path fb = Files.write(temp.resolve("b-" + which), b);
        store.put("race/object", fa);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<?> writer = pool.submit(() -> {
                for (int i = 0; i < 20; i++) {
                    store.put("race/object", i % 2 == 0 ? fb : fa);
                }
                return null;
            });
            List<byte[]> seen = new ArrayList<>();
            while (!writer.isDone()) {
                seen.add(store.read("race/object").orElseThrow());
            }
            writer.get();
            assertThat(seen).isNotEmpty().allSatisfy(bytes -> assertThat(bytes).satisfiesAnyOf(
                    x -> assertThat(x).isEqualTo(a), x -> assertThat(x).isEqualTo(b)));
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest(name = "store {0}")
    @MethodSource("stores")
    void keysCannotEscape(int which) {
        ObjectStore store = stores.get(which);
        for (String bad : List.of("../x", "/etc/passwd", "a//b", "a/./b", "a/../../b", "", "a b", "a\\b")) {
            assertThatThrownBy(() -> store.put(bad, new byte[1])).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
