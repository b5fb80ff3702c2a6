package org.robustlab.ml.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.testing.SyntheticData;

/** Readers on small files written in the official formats. */
class DataTest {

    @TempDir
    Path root;

    @Test
    void readsIdxGzippedOrNot() throws IOException {
        Path folder = root.resolve("fashion-mnist");
        writeIdxSet(folder, "train", 5, false);
        writeIdxSet(folder, "t10k", 3, true);
        DatasetLocator locator = new DatasetLocator(root, false, List.of());
        ImageDataset train = locator.load(DatasetId.FASHION_MNIST, true);
        ImageDataset test = locator.load(DatasetId.FASHION_MNIST, false);
        assertThat(train.size()).isEqualTo(5);
        assertThat(test.size()).isEqualTo(3);
        assertThat(train.label(4)).isEqualTo(4);
        assertThat(train.rawPixel(2, 0)).isEqualTo(2);
        assertThat(train.rawPixel(2, 783)).isEqualTo((2 + 783) % 256);
        assertThat(locator.availability(DatasetId.FASHION_MNIST).status()).isEqualTo(DatasetLocator.Status.PRESENT);
    }

    @Test
    void badIdxFilesFailWithTheFileAndWhatWasExpected() throws IOException {
        Path folder = root.resolve("mnist");
        writeIdxSet(folder, "train", 5, false);
        writeIdxSet(folder, "t10k", 3, false);
        Path images = folder.resolve("train-images-idx3-ubyte");
        byte[] full = Files.readAllBytes(images);
        Files.write(images, Arrays.copyOf(full, full.length - 100));
        DatasetLocator locator = new DatasetLocator(root, false, List.of());
        assertThatThrownBy(() -> locator.load(DatasetId.MNIST, true))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining(images.toString()).hasMessageContaining("truncated")
                .hasMessageContaining("3920").hasMessageContaining("3820");
        full[3] = 1;
        Files.write(images, full);
        assertThatThrownBy(() -> locator.load(DatasetId.MNIST, true))
                .hasMessageContaining(images.toString()).hasMessageContaining("expected an IDX file").hasMessageContaining("0x00000801");
        Files.write(folder.resolve("train-labels-idx1-ubyte"), idx(new int[] {4}, new byte[4]));
        full[3] = 3;
        Files.write(images, full);
        assertThatThrownBy(() -> locator.load(DatasetId.MNIST, true))
                .hasMessageContaining("expected 5 labels").hasMessageContaining("found 4");
    }

    @Test
    void missingDatasetNamesTheFolderAndFiles() {
        DatasetLocator locator = new DatasetLocator(root, false, List.of());
        assertThat(locator.availability(DatasetId.CIFAR10).status()).isEqualTo(DatasetLocator.Status.MISSING);
        assertThatThrownBy(() -> locator.load(DatasetId.CIFAR10, true))
                .isInstanceOf(DatasetFormatException.class)
                .hasMessageContaining("cifar-10-batches-bin").hasMessageContaining("data_batch_1.bin");
        assertThat(new DatasetLocator(root, true, List.of()).availability(DatasetId.CIFAR100).status())
                .isEqualTo(DatasetLocator.Status.DOWNLOADABLE);
    }

    @Test
    void readsCifar10AndCifar100BinaryRecords() throws IOException {
        Path c10 = root.resolve("cifar-10-batches-bin");
        for (int i = 1; i <= 5; i++) {
            writeCifar(c10.resolve("data_batch_" + i + ".bin"), 2, 1, i);
        }
        writeCifar(c10.resolve("test_batch.bin"), 3, 1, 9);
        Path c100 = root.resolve("cifar-100-binary");
        writeCifar(c100.resolve("train.bin"), 4, 2, 77);
        writeCifar(c100.resolve("test.bin"), 2, 2, 99);
        DatasetLocator locator = new DatasetLocator(root, false, List.of());
        ImageDataset train = locator.load(DatasetId.CIFAR10, true);
        assertThat(train.size()).isEqualTo(10);
        assertThat(train.shape()).isEqualTo(new ImageShape(3, 32, 32));
        assertThat(train.label(2)).isEqualTo(2 % 10);
        // pixel byte j of record r of a file written with seed s is (s + r + j) & 0xFF; channel planes in R, G, B order
        assertThat(train.rawPixel(2, 1024)).isEqualTo((2 + 0 + 1024) & 0xFF);
        ImageDataset fine = locator.load(DatasetId.CIFAR100, true);
        assertThat(fine.numClasses()).isEqualTo(100);
        assertThat(fine.label(3)).isEqualTo((77 + 3) % 100);
        assertThat(locator.load(DatasetId.CIFAR10, false).size()).isEqualTo(3);
    }

    @Test
    void truncatedCifarFileIsReported() throws IOException {
        Path c100 = root.resolve("cifar-100-binary");
        writeCifar(c100.resolve("train.bin"), 2, 2, 1);
        Files.write(c100.resolve("test.bin"), new byte[3000]);
        assertThatThrownBy(() -> new DatasetLocator(root, false, List.of()).load(DatasetId.CIFAR100, false))
                .hasMessageContaining("test.bin").hasMessageContaining("3074-byte records").hasMessageContaining("found 3000 bytes");
    }

    @Test
    void archiveWithWrongChecksumIsRejectedAndAGoodOneUnpacked() throws IOException {
        Path staging = root.resolve("staging");
        Path archive = root.resolve("cifar-100-binary.tar.gz");
        Path train = staging.resolve("train.bin");
        writeCifar(train, 2, 2, 5);
        writeCifar(staging.resolve("test.bin"), 1, 2, 6);
        writeTarGz(archive, List.of("cifar-100-binary/train.bin", "cifar-100-binary/test.bin"),
                List.of(Files.readAllBytes(train), Files.readAllBytes(staging.resolve("test.bin"))));
        Path data = root.resolve("data");
        DatasetLocator locator = new DatasetLocator(data, true, List.of());
        assertThatThrownBy(() -> locator.installArchive(DatasetId.CIFAR100, archive, "00000000000000000000000000000000"))
                .hasMessageContaining("checksum mismatch").hasMessageContaining("expected MD5 0000");
        locator.installArchive(DatasetId.CIFAR100, archive, DatasetLocator.md5(archive));
        assertThat(locator.load(DatasetId.CIFAR100, false).size()).isEqualTo(1);
    }

    @Test
    void idxFilesAreDownloadedOverHttpAndOnlyThoseMatchingTheirChecksumsInstalled() throws Exception {
        Path served = root.resolve("served");
        writeIdxSet(served, "train", 6, true);
        writeIdxSet(served, "t10k", 3, true);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            Path file = served.resolve(exchange.getRequestURI().getPath().substring("/fm/".length()));
            byte[] body = Files.isRegularFile(file) ? Files.readAllBytes(file) : new byte[0];
            exchange.sendResponseHeaders(body.length > 0 ? 200 : 404, body.length > 0 ? body.length : -1);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/fm/");
            List<DatasetLocator.IdxFile> files = new ArrayList<>();
            for (String name : List.of("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                    "t10k-labels-idx1-ubyte.gz")) {
                files.add(new DatasetLocator.IdxFile(name, DatasetLocator.md5(served.resolve(name))));
            }
            // a wrong checksum for the test labels: the three files before it are installed, it is not, nothing loads
            List<DatasetLocator.IdxFile> tampered = new ArrayList<>(files);
            tampered.set(3, new DatasetLocator.IdxFile(files.get(3).name(), "0123456789abcdef0123456789abcdef"));
            Path data = root.resolve("data");
            DatasetLocator bad = new DatasetLocator(data, true, List.of(),
                    Map.of(DatasetId.FASHION_MNIST, new DatasetLocator.IdxSource(base, tampered)));
            assertThat(bad.availability(DatasetId.FASHION_MNIST).status()).isEqualTo(DatasetLocator.Status.DOWNLOADABLE);
            assertThat(bad.count(DatasetId.FASHION_MNIST, true)).isEqualTo(60_000);
            assertThatThrownBy(() -> bad.load(DatasetId.FASHION_MNIST, false)).isInstanceOf(DatasetFormatException.class)
                    .hasMessageContaining("checksum mismatch").hasMessageContaining("t10k-labels-idx1-ubyte.gz")
                    .hasMessageContaining("expected MD5 0123456789abcdef");
            try (var left = Files.list(data.resolve("fashion-mnist"))) {
                assertThat(left.map(f -> f.getFileName().toString()).sorted().toList())
                        .containsExactly("t10k-images-idx3-ubyte.gz", "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz");
            }
            // a file the server does not have: the status is named
            DatasetLocator missing = new DatasetLocator(root.resolve("other"), true, List.of(),
                    Map.of(DatasetId.FASHION_MNIST, new DatasetLocator.IdxSource(base.resolve("../nothing/"), files)));
            assertThatThrownBy(() -> missing.load(DatasetId.FASHION_MNIST, true)).hasMessageContaining("answered HTTP 404");
            // the right checksums: downloaded, installed and read
            DatasetLocator good = new DatasetLocator(data, true, List.of(), Map.of(DatasetId.FASHION_MNIST, new DatasetLocator.IdxSource(base, files)));
            ImageDataset test = good.load(DatasetId.FASHION_MNIST, false);
            assertThat(test.size()).isEqualTo(3);
            assertThat(test.label(2)).isEqualTo(2);
            assertThat(good.load(DatasetId.FASHION_MNIST, true).size()).isEqualTo(6);
            assertThat(good.availability(DatasetId.FASHION_MNIST).status()).isEqualTo(DatasetLocator.Status.PRESENT);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void theOfficialChecksumsAreTheOnesPublished() {
        // github.com/zalandoresearch/fashion-mnist's table, and torchvision's MNIST resources
        assertThat(DatasetLocator.FASHION_MNIST_FILES).extracting(DatasetLocator.IdxFile::md5).containsExactly(
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d", "25c81989df183df01b3e8a0aad5dffbe", "bef4ecab320f06d8554ea6380940ec79",
                "bb300cfdad3c16e7a12a480ee83cd310");
        assertThat(DatasetLocator.MNIST_FILES).extracting(DatasetLocator.IdxFile::name).containsExactly("train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz");
    }

    @Test
    void splitsAndSamplesAreDeterministicAndDisjoint() {
        ImageDataset data = SyntheticData.squares(100, 1, 8, 4, 3);
        ImageDataset.Split a = data.split(20, 7);
        ImageDataset.Split b = data.split(20, 7);
        assertThat(a.validation().size()).isEqualTo(20);
        assertThat(a.train().size()).isEqualTo(80);
        for (int i = 0; i < 20; i++) {
            assertThat(a.validation().label(i)).isEqualTo(b.validation().label(i));
            assertThat(a.validation().rawPixel(i, 5)).isEqualTo(b.validation().rawPixel(i, 5));
        }
        assertThat(ImageDataset.permutation(100, 7)).isEqualTo(ImageDataset.permutation(100, 7))
                .isNotEqualTo(ImageDataset.permutation(100, 8));
        int[] perm = ImageDataset.permutation(100, 7);
        assertThat(Arrays.stream(perm).sorted().toArray()).isEqualTo(IntStream.range(0, 100).toArray());
        assertThat(data.first(10).size()).isEqualTo(10);
        assertThat(data.sample(10, 1).size()).isEqualTo(10);
    }

    @Test
    void batchesArePureFunctionsOfSeedEpochAndIndexAndStayInTheUnitBox() {
        ImageDataset data = SyntheticData.squares(50, 3, 32, 10, 3);
        BatchLoader loader = new BatchLoader(data, 16, true, true, 5);
        assertThat(loader.batchesPerEpoch()).isEqualTo(4);
        try (NDManager m = NDManager.newBaseManager()) {
            BatchLoader.Batch b1 = loader.batch(m, 2, 1);
            BatchLoader.Batch b2 = new BatchLoader(data, 16, true, true, 5).batch(m, 2, 1);
            assertThat(b1.x().toFloatArray()).isEqualTo(b2.x().toFloatArray());
            assertThat(b1.indices()).isEqualTo(b2.indices());
            assertThat(loader.batch(m, 3, 1).indices()).isNotEqualTo(b1.indices());
            assertThat(b1.x().min().getFloat()).isGreaterThanOrEqualTo(0f);
            assertThat(b1.x().max().getFloat()).isLessThanOrEqualTo(1f);
            assertThat(b1.x().getShape().getShape()).containsExactly(16, 3, 32, 32);
            assertThat(loader.batch(m, 0, 3).size()).isEqualTo(2);
        }
    }

    @Test
    void cropAndFlipShiftsAndMirrors() {
        ImageShape shape = new ImageShape(1, 4, 4);
        float[] src = new float[16];
        for (int i = 0; i < 16; i++) {
            src[i] = (i + 1) / 16f;
        }
        float[] dst = new float[16];
        // find a seed whose draw is a flip with no shift, and one with a shift and no flip
        boolean sawFlip = false;
        boolean sawShift = false;
        for (int seed = 0; seed < 500 && !(sawFlip && sawShift); seed++) {
            Random r = new Random(seed);
            int dy = r.nextInt(9) - 4;
            int dx = r.nextInt(9) - 4;
            boolean flip = r.nextBoolean();
            BatchLoader.cropAndFlip(src, dst, 0, shape, new Random(seed));
            if (dy == 0 && dx == 0 && flip) {
                assertThat(dst[0]).isEqualTo(src[3]);
                assertThat(dst[3]).isEqualTo(src[0]);
                sawFlip = true;
            }
            if (dy == 1 && dx == 0 && !flip) {
                assertThat(dst[0]).isEqualTo(src[4]);
                assertThat(dst[12]).isEqualTo(0f);
                sawShift = true;
            }
        }
        assertThat(sawFlip && sawShift).isTrue();
    }

    private static void writeIdxSet(Path folder, String prefix, int n, boolean gz) throws IOException {
        Files.createDirectories(folder);
        byte[] pixels = new byte[n * 784];
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) i;
            for (int j = 0; j < 784; j++) {
                pixels[i * 784 + j] = (byte) (i + j);
            }
        }
        write(folder.resolve(prefix + "-images-idx3-ubyte" + (gz ? ".gz" : "")), idx(new int[] {n, 28, 28}, pixels), gz);
        write(folder.resolve(prefix + "-labels-idx1-ubyte" + (gz ? ".gz" : "")), idx(new int[] {n}, labels), gz);
    }

    static byte[] idx(int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x0800 | dims.length);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(data);
        return bytes.toByteArray();
    }

    private static void write(Path file, byte[] data, boolean gz) throws IOException {
        try (OutputStream out = gz ? new GZIPOutputStream(Files.newOutputStream(file)) : Files.newOutputStream(file)) {
            out.write(data);
        }
    }

    private static void writeCifar(Path file, int records, int labelBytes, int seed) throws IOException {
        Files.createDirectories(file.getParent());
        int size = labelBytes + 3072;
        byte[] data = new byte[records * size];
        for (int r = 0; r < records; r++) {
            if (labelBytes == 2) {
                data[r * size] = (byte) ((seed + r) % 20);
            }
            data[r * size + labelBytes - 1] = (byte) ((seed + r) % (labelBytes == 2 ? 100 : 10));
            for (int j = 0; j < 3072; j++) {
                data[r * size + labelBytes + j] = (byte) (seed + r + j);
            }
        }
        Files.write(file, data);
    }

    private static void writeTarGz(Path archive, List<String> names, List<byte[]> contents) throws IOException {
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(archive))) {
            for (int i = 0; i < names.size(); i++) {
                byte[] header = new byte[512];
                byte[] name = names.get(i).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(name, 0, header, 0, name.length);
                byte[] size = String.format("%011o", contents.get(i).length).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(size, 0, header, 124, size.length);
                header[156] = '0';
                out.write(header);
                out.write(contents.get(i));
                out.write(new byte[(512 - contents.get(i).length % 512) % 512]);
            }
            out.write(new byte[1024]);
        }
    }
}
