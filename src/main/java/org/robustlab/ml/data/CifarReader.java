package org.robustlab.ml.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the official CIFAR binary format. A CIFAR-10 record is one label byte and 3072 pixel bytes
 * (1024 red, 1024 green, 1024 blue, row-major); a CIFAR-100 record has a coarse and a fine label byte
 * before the pixels, and we keep the fine label.
 */
public final class CifarReader {

    static final int PIXELS = 3 * 32 * 32;

    private CifarReader() {}

    /** Reads and concatenates the given batch files. */
    public static ImageDataset read(String name, List<Path> files, int labelBytes, int numClasses, List<String> classNames) {
        int recordSize = labelBytes + PIXELS;
        long totalRecords = 0;
        for (Path file : files) {
            totalRecords += recordCount(file, recordSize);
        }
        byte[] pixels = new byte[(int) (totalRecords * PIXELS)];
        int[] labels = new int[(int) totalRecords];
        int example = 0;
        byte[] record = new byte[recordSize];
        for (Path file : files) {
            try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 20)) {
                while (in.readNBytes(record, 0, recordSize) == recordSize) {
                    int label = record[labelBytes - 1] & 0xFF;
                    if (label >= numClasses) {
                        throw new DatasetFormatException(String.format(
                                "%s: record %d has label %d; expected 0..%d", file, example, label, numClasses - 1));
                    }
                    labels[example] = label;
                    System.arraycopy(record, labelBytes, pixels, example * PIXELS, PIXELS);
                    example++;
                }
            } catch (IOException e) {
                throw new DatasetFormatException(file + ": cannot be read: " + e.getMessage(), e);
            }
        }
        return new ImageDataset(name, new ImageShape(3, 32, 32), numClasses, pixels, labels, classNames);
    }

    private static long recordCount(Path file, int recordSize) {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException(file + ": file not found");
        }
        try {
            long size = Files.size(file);
            if (size == 0 || size % recordSize != 0) {
                throw new DatasetFormatException(String.format(
                        "%s: expected a whole number of %d-byte records (%d label byte(s) + 3072 pixels); found %d bytes",
                        file, recordSize, recordSize - PIXELS, size));
            }
            return size / recordSize;
        } catch (IOException e) {
            throw new DatasetFormatException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }
}
