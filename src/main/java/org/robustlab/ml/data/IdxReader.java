package org.robustlab.ml.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reads the IDX format of MNIST and Fashion-MNIST (unsigned bytes only), gzipped or not: the gzip
 * magic number decides, not the file name.
 */
public final class IdxReader {

    private IdxReader() {}

    /** Images file ({@code idx3-ubyte}): returns the pixels and fills {@code dims} with count, rows, cols. */
    public static byte[] readImages(Path file, int[] dims) {
        return read(file, 3, dims);
    }

    /** Labels file ({@code idx1-ubyte}). */
    public static int[] readLabels(Path file) {
        int[] dims = new int[1];
        byte[] raw = read(file, 1, dims);
        int[] labels = new int[raw.length];
        for (int i = 0; i < raw.length; i++) {
            labels[i] = raw[i] & 0xFF;
        }
        return labels;
    }

    /** The number of items (the first dimension) of an IDX file, from its header alone. */
    public static int count(Path file) {
        try (DataInputStream in = new DataInputStream(open(file))) {
            int magic = in.readInt();
            if ((magic >>> 16) != 0 || (magic & 0xFF) < 1) {
                throw new DatasetFormatException(file.getFileName() + ": not an IDX file (magic 0x" + Integer.toHexString(magic) + ")");
            }
            return in.readInt();
        } catch (IOException e) {
            throw new DatasetFormatException(file.getFileName() + ": cannot read its header: " + e.getMessage());
        }
    }

    private static byte[] read(Path file, int expectedDims, int[] dims) {
        if (!Files.isRegularFile(file)) {
            throw new DatasetFormatException(file + ": file not found");
        }
        try (DataInputStream in = new DataInputStream(open(file))) {
            int magic = in.readInt();
            int type = (magic >>> 8) & 0xFF;
            int ndim = magic & 0xFF;
            if ((magic >>> 16) != 0 || type != 0x08 || ndim != expectedDims) {
                throw new DatasetFormatException(String.format(
                        "%s: expected an IDX file of unsigned bytes with %d dimension(s) (magic 0x%08x); found magic 0x%08x",
                        file, expectedDims, 0x0800 | expectedDims, magic));
            }
            long total = 1;
            for (int i = 0; i < ndim; i++) {
                dims[i] = in.readInt();
                if (dims[i] <= 0) {
                    throw new DatasetFormatException(file + ": dimension " + i + " is " + dims[i] + "; expected a positive size");
                }
                total *= dims[i];
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new DatasetFormatException(file + ": " + total + " values is more than one array can hold");
            }
            byte[] data = new byte[(int) total];
            int read = in.readNBytes(data, 0, data.length);
            if (read != data.length) {
                throw new DatasetFormatException(
                        file + ": truncated: the header promises " + total + " bytes of data; found " + read);
            }
            return data;
        } catch (EOFException e) {
            throw new DatasetFormatException(file + ": truncated: the file ends inside the IDX header", e);
        } catch (IOException e) {
            throw new DatasetFormatException(file + ": cannot be read: " + e.getMessage(), e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        in.mark(2);
        int b1 = in.read();
        int b2 = in.read();
        in.reset();
        if (b1 == 0x1f && b2 == 0x8b) {
            return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
        }
        return in;
    }
}
