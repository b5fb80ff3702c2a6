package org.robustlab.ml.data;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** A minimal reader for gzipped ustar archives (regular files and folders), enough for the CIFAR archives. */
final class TarGz {

    private TarGz() {}

    static void extract(Path archive, Path target) throws IOException {
        Path base = target.toAbsolutePath().normalize();
        try (InputStream in = new BufferedInputStream(new GZIPInputStream(Files.newInputStream(archive), 1 << 16), 1 << 16)) {
            byte[] header = new byte[512];
            while (true) {
                if (in.readNBytes(header, 0, 512) < 512) {
                    throw new DatasetFormatException(archive + ": truncated tar archive");
                }
                if (isZero(header)) {
                    return;
                }
                String name = text(header, 0, 100);
                String prefix = text(header, 345, 155);
                if (!prefix.isEmpty()) {
                    name = prefix + "/" + name;
                }
                long size = Long.parseLong(text(header, 124, 12).isEmpty() ? "0" : text(header, 124, 12), 8);
                char type = (char) header[156];
                Path out = base.resolve(name).normalize();
                if (!out.startsWith(base)) {
                    throw new DatasetFormatException(archive + ": entry '" + name + "' points outside " + base);
                }
                if (type == '5') {
                    Files.createDirectories(out);
                } else if (type == '0' || type == 0) {
                    Files.createDirectories(out.getParent());
                    try (OutputStream os = Files.newOutputStream(out)) {
                        copy(in, os, size, archive);
                    }
                } else {
                    in.skipNBytes(size);
                }
                long pad = (512 - size % 512) % 512;
                in.skipNBytes(pad);
            }
        }
    }

    private static void copy(InputStream in, OutputStream out, long size, Path archive) throws IOException {
        byte[] buffer = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (n < 0) {
                throw new DatasetFormatException(archive + ": truncated tar entry");
            }
            out.write(buffer, 0, n);
            left -= n;
        }
    }

    private static boolean isZero(byte[] block) {
        for (byte b : block) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static String text(byte[] header, int offset, int length) {
        int end = offset;
        while (end < offset + length && header[end] != 0) {
            end++;
        }
        return new String(header, offset, end - offset, StandardCharsets.US_ASCII).trim();
    }
}
