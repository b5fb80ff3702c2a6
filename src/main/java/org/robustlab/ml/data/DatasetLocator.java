package org.robustlab.ml.data;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Finds, and where allowed downloads, the files of each dataset, and loads them.
 *
 * <p>Fashion-MNIST and MNIST are looked for in {@code root/fashion-mnist} (or {@code root/mnist})
 * and then in the Debian package folders under {@code /usr/share/datasets}. CIFAR is read from
 * {@code root/cifar-10-batches-bin} and {@code root/cifar-100-binary}. When a dataset is missing and
 * downloading is enabled, its official files are fetched and each is checked against its published MD5
 * before it is used: CIFAR's archive (then unpacked), and the four gzipped IDX files of Fashion-MNIST
 * (Zalando's mirror) or MNIST (the mirror torchvision uses), into {@code root/fashion-mnist} or
 * {@code root/mnist}.
 */
public final class DatasetLocator {

    /** Official archive and its published MD5 checksum. */
    record Archive(URI uri, String md5) {}

    static final Archive CIFAR10_ARCHIVE = new Archive(
            URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), "c32a1d4ab5d03f1284b67883e8d87530");
    static final Archive CIFAR100_ARCHIVE = new Archive(
            URI.create("https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"), "03b5dce01913d631647c71ecec9e9cb8");

    /** One of the gzipped IDX files of Fashion-MNIST or MNIST, and its published MD5 checksum. */
    record IdxFile(String name, String md5) {}

    /** Where a dataset's IDX files are fetched from, and which. */
    record IdxSource(URI base, List<IdxFile> files) {}

    /** Where Fashion-MNIST's files are published (github.com/zalandoresearch/fashion-mnist, with their MD5s). */
    static final URI FASHION_MNIST_BASE = URI.create("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/");
    static final List<IdxFile> FASHION_MNIST_FILES = List.of(
            new IdxFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            new IdxFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            new IdxFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            new IdxFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"));
    /** MNIST's files, from the mirror torchvision downloads (the original site no longer serves them reliably). */
    static final URI MNIST_BASE = URI.create("https://ossci-datasets.s3.amazonaws.com/mnist/");
    static final List<IdxFile> MNIST_FILES = List.of(
            new IdxFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            new IdxFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            new IdxFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            new IdxFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"));

    private final Path root;
    private final boolean downloadEnabled;
    private final List<Path> systemFolders;
    private final Map<DatasetId, IdxSource> idxSources;

    /**
     * @param root the configured data folder
     * @param downloadEnabled whether missing datasets may be downloaded
     */
    public DatasetLocator(Path root, boolean downloadEnabled) {
        this(root, downloadEnabled, List.of(Path.of("/usr/share/datasets")));
    }

    public DatasetLocator(Path root, boolean downloadEnabled, List<Path> systemFolders) {
        this(root, downloadEnabled, systemFolders, Map.of(DatasetId.FASHION_MNIST, new IdxSource(FASHION_MNIST_BASE, FASHION_MNIST_FILES),
                DatasetId.MNIST, new IdxSource(MNIST_BASE, MNIST_FILES)));
    }

    /** With other sources for the IDX files (a test's server and files). */
    DatasetLocator(Path root, boolean downloadEnabled, List<Path> systemFolders, Map<DatasetId, IdxSource> idxSources) {
        this.root = root;
        this.downloadEnabled = downloadEnabled;
        this.systemFolders = List.copyOf(systemFolders);
        this.idxSources = Map.copyOf(idxSources);
    }

    /** Where a dataset is now: present (and where), downloadable, or missing. */
    public record Availability(DatasetId dataset, Status status, Path folder, String detail) {}

    public enum Status { PRESENT, DOWNLOADABLE, MISSING }

    public Availability availability(DatasetId id) {
        Path folder = findFolder(id);
        if (folder != null) {
            return new Availability(id, Status.PRESENT, folder, "read from " + folder);
        }
        Path target = primaryFolder(id);
        if (downloadEnabled) {
            return new Availability(id, Status.DOWNLOADABLE, target,
                    "will be downloaded from " + source(id) + " to " + target + " on first use");
        }
        return new Availability(id, Status.MISSING, target, "expected files " + requiredFiles(id) + " in " + target
                + " (or enable downloading)");
    }

    /**
     * The number of images in the training or test part, from the files' headers or sizes (nothing is
     * loaded): the official counts for a set that will be downloaded, -1 for a missing set.
     */
    public int count(DatasetId id, boolean train) {
        Path folder = findFolder(id);
        if (folder == null) {
            if (downloadEnabled) {
                return train ? (id.isCifar() ? 50_000 : 60_000) : 10_000;
            }
            return -1;
        }
        return switch (id) {
            case FASHION_MNIST, MNIST -> IdxReader.count(resolveIdx(folder, (train ? "train" : "t10k") + "-labels-idx1-ubyte"));
            case CIFAR10 -> {
                long bytes = 0;
                for (Path f : train ? List.of(folder.resolve("data_batch_1.bin"), folder.resolve("data_batch_2.bin"),
                        folder.resolve("data_batch_3.bin"), folder.resolve("data_batch_4.bin"), folder.resolve("data_batch_5.bin"))
                        : List.of(folder.resolve("test_batch.bin"))) {
                    bytes += size(f);
                }
                yield (int) (bytes / (1 + 3072));
            }
            case CIFAR100 -> (int) (size(folder.resolve(train ? "train.bin" : "test.bin")) / (2 + 3072));
        };
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    /** Loads the training or test part of a dataset, downloading it first if needed and allowed. */
    public ImageDataset load(DatasetId id, boolean train) {
        Path folder = findFolder(id);
        if (folder == null) {
            if (downloadEnabled) {
                if (id.isCifar()) {
                    download(id);
                } else {
                    downloadIdx(id);
                }
                folder = primaryFolder(id);
            } else {
                throw new DatasetFormatException(id + ": files not found; " + availability(id).detail());
            }
        }
        String name = id.id() + (train ? "/train" : "/test");
        return switch (id) {
            case FASHION_MNIST, MNIST -> {
                String prefix = train ? "train" : "t10k";
                int[] dims = new int[3];
                Path imagesFile = resolveIdx(folder, prefix + "-images-idx3-ubyte");
                Path labelsFile = resolveIdx(folder, prefix + "-labels-idx1-ubyte");
                byte[] pixels = IdxReader.readImages(imagesFile, dims);
                int[] labels = IdxReader.readLabels(labelsFile);
                if (dims[1] != 28 || dims[2] != 28) {
                    throw new DatasetFormatException(imagesFile + ": expected 28x28 images; found " + dims[1] + "x" + dims[2]);
                }
                if (dims[0] != labels.length) {
                    throw new DatasetFormatException(labelsFile + ": expected " + dims[0] + " labels to match "
                            + imagesFile + "; found " + labels.length);
                }
                yield new ImageDataset(name, id.shape(), id.numClasses(), pixels, labels, id.classNames());
            }
            case CIFAR10 -> {
                List<Path> files = new ArrayList<>();
                if (train) {
                    for (int i = 1; i <= 5; i++) {
                        files.add(folder.resolve("data_batch_" + i + ".bin"));
                    }
                } else {
                    files.add(folder.resolve("test_batch.bin"));
                }
                yield CifarReader.read(name, files, 1, 10, id.classNames());
            }
            case CIFAR100 -> CifarReader.read(name, List.of(folder.resolve(train ? "train.bin" : "test.bin")), 2, 100,
                    id.classNames());
        };
    }

    /** The folder this dataset is read from when present, or downloaded into. */
    public Path primaryFolder(DatasetId id) {
        return switch (id) {
            case FASHION_MNIST -> root.resolve("fashion-mnist");
            case MNIST -> root.resolve("mnist");
            case CIFAR10 -> root.resolve("cifar-10-batches-bin");
            case CIFAR100 -> root.resolve("cifar-100-binary");
        };
    }

    static List<String> requiredFiles(DatasetId id) {
        return switch (id) {
            case FASHION_MNIST, MNIST -> List.of("train-images-idx3-ubyte[.gz]", "train-labels-idx1-ubyte[.gz]",
                    "t10k-images-idx3-ubyte[.gz]", "t10k-labels-idx1-ubyte[.gz]");
            case CIFAR10 -> List.of("data_batch_1.bin .. data_batch_5.bin", "test_batch.bin");
            case CIFAR100 -> List.of("train.bin", "test.bin");
        };
    }

    private Path findFolder(DatasetId id) {
        List<Path> candidates = new ArrayList<>();
        candidates.add(primaryFolder(id));
        if (!id.isCifar()) {
            for (Path system : systemFolders) {
                candidates.add(system.resolve(id.id()));
            }
        }
        for (Path candidate : candidates) {
            if (hasFiles(id, candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean hasFiles(DatasetId id, Path folder) {
        return switch (id) {
            case FASHION_MNIST, MNIST -> idxExists(folder, "train-images-idx3-ubyte") && idxExists(folder, "train-labels-idx1-ubyte")
                    && idxExists(folder, "t10k-images-idx3-ubyte") && idxExists(folder, "t10k-labels-idx1-ubyte");
            case CIFAR10 -> Files.isRegularFile(folder.resolve("data_batch_1.bin")) && Files.isRegularFile(folder.resolve("test_batch.bin"));
            case CIFAR100 -> Files.isRegularFile(folder.resolve("train.bin")) && Files.isRegularFile(folder.resolve("test.bin"));
        };
    }

    private static boolean idxExists(Path folder, String base) {
        return Files.isRegularFile(folder.resolve(base)) || Files.isRegularFile(folder.resolve(base + ".gz"));
    }

    private static Path resolveIdx(Path folder, String base) {
        Path plain = folder.resolve(base);
        return Files.isRegularFile(plain) ? plain : folder.resolve(base + ".gz");
    }

    private static Archive archive(DatasetId id) {
        return id == DatasetId.CIFAR10 ? CIFAR10_ARCHIVE : CIFAR100_ARCHIVE;
    }

    /** Where a missing dataset would be downloaded from. */
    private String source(DatasetId id) {
        return id.isCifar() ? archive(id).uri().toString() : idxSources.get(id).base() + " (4 files)";
    }

    /**
     * Fetches the four IDX files of Fashion-MNIST or MNIST into the dataset's folder; each is checked against its
     * published MD5 in a temporary file first, and only a file that matches is put in place.
     */
    private void downloadIdx(DatasetId id) {
        IdxSource source = idxSources.get(id);
        Path folder = primaryFolder(id);
        for (IdxFile file : source.files()) {
            URI uri = source.base().resolve(file.name());
            try {
                Files.createDirectories(folder);
                Path tmp = Files.createTempFile(folder, file.name(), ".part");
                try {
                    fetch(id, uri, tmp);
                    String actual = md5(tmp);
                    if (!actual.equalsIgnoreCase(file.md5())) {
                        throw new DatasetFormatException(id + ": checksum mismatch for " + uri + ": expected MD5 " + file.md5()
                                + "; found " + actual + " (nothing was installed from it)");
                    }
                    Files.move(tmp, folder.resolve(file.name()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } finally {
                    Files.deleteIfExists(tmp);
                }
            } catch (IOException e) {
                throw new DatasetFormatException(id + ": download of " + uri + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** One client for every download (its connections are reused across a dataset's files). */
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30)).build();

    /** GETs {@code uri} into {@code target}. */
    private static void fetch(DatasetId id, URI uri, Path target) throws IOException {
        try {
            HttpResponse<InputStream> response = HTTP.send(HttpRequest.newBuilder(uri).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw new DatasetFormatException(id + ": download of " + uri + " answered HTTP " + response.statusCode());
                }
                Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DatasetFormatException(id + ": download interrupted", e);
        }
    }

    private void download(DatasetId id) {
        Archive archive = archive(id);
        try {
            Files.createDirectories(root);
            Path tmp = Files.createTempFile(root, id.id(), ".tar.gz.part");
            try {
                fetch(id, archive.uri(), tmp);
                installArchive(id, tmp, archive.md5());
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new DatasetFormatException(id + ": download of " + archive.uri() + " failed: " + e.getMessage(), e);
        }
    }

    /** Checks an archive against its published MD5 and unpacks it under the root folder. */
    void installArchive(DatasetId id, Path archiveFile, String expectedMd5) throws IOException {
        String actual = md5(archiveFile);
        if (!actual.equalsIgnoreCase(expectedMd5)) {
            throw new DatasetFormatException(archiveFile + ": checksum mismatch for the " + id
                    + " archive: expected MD5 " + expectedMd5 + "; found " + actual);
        }
        TarGz.extract(archiveFile, root);
        if (!hasFiles(id, primaryFolder(id))) {
            throw new DatasetFormatException(archiveFile + ": the archive did not contain " + requiredFiles(id)
                    + " under " + primaryFolder(id).getFileName());
        }
    }

    static String md5(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("MD5");
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
