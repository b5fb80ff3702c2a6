package org.robustlab.ml.data;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * An in-memory labelled image dataset: 8-bit pixels in NCHW order, converted to [0,1] floats only
 * when a batch is built, so that CIFAR-10 takes 150 MB rather than 600 MB.
 *
 * <p>Instances are immutable; {@link #subset(int[])} and friends copy the selected examples.
 */
public final class ImageDataset {

    private final String name;
    private final ImageShape shape;
    private final int numClasses;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classNames;

    public ImageDataset(
            String name, ImageShape shape, int numClasses, byte[] pixels, int[] labels, List<String> classNames) {
        this.name = Objects.requireNonNull(name);
        this.shape = Objects.requireNonNull(shape);
        if (pixels.length != (long) labels.length * shape.size()) {
            throw new IllegalArgumentException(
                    name + ": " + labels.length + " labels need " + (long) labels.length * shape.size()
                            + " pixels; got " + pixels.length);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= numClasses) {
                throw new IllegalArgumentException(
                        name + ": label of example " + i + " is " + labels[i] + "; expected 0.." + (numClasses - 1));
            }
        }
        this.numClasses = numClasses;
        this.pixels = pixels;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
    }

    public String name() {
        return name;
    }

    public ImageShape shape() {
        return shape;
    }

    public int numClasses() {
        return numClasses;
    }

    public int size() {
        return labels.length;
    }

    public int label(int index) {
        return labels[index];
    }

    public List<String> classNames() {
        return classNames;
    }

    /** Copies example {@code index} into {@code out} at {@code offset} as floats in [0,1]. */
    public void copyPixels(int index, float[] out, int offset) {
        int n = shape.size();
        int base = index * n;
        for (int i = 0; i < n; i++) {
            out[offset + i] = (pixels[base + i] & 0xFF) / 255f;
        }
    }

    /** The raw 8-bit pixel of example {@code index} at flat position {@code position} (CHW order). */
    public int rawPixel(int index, int position) {
        return pixels[index * shape.size() + position] & 0xFF;
    }

    /** The examples at {@code indices}, in that order. */
    public ImageDataset subset(int[] indices) {
        int n = shape.size();
        byte[] p = new byte[indices.length * n];
        int[] l = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            int src = indices[i];
            if (src < 0 || src >= labels.length) {
                throw new IndexOutOfBoundsException(name + " has " + labels.length + " examples; asked for " + src);
            }
            System.arraycopy(pixels, src * n, p, i * n, n);
            l[i] = labels[src];
        }
        return new ImageDataset(name, shape, numClasses, p, l, classNames);
    }

    /** The first {@code count} examples (all of them if there are fewer). */
    public ImageDataset first(int count) {
        int n = Math.min(count, size());
        int[] idx = new int[n];
        Arrays.setAll(idx, i -> i);
        return subset(idx);
    }

    /** A seeded sample of {@code count} distinct examples, in the order they appear in the dataset. */
    public ImageDataset sample(int count, long seed) {
        if (count >= size()) {
            return this;
        }
        int[] perm = permutation(size(), seed);
        int[] idx = Arrays.copyOf(perm, count);
        Arrays.sort(idx);
        return subset(idx);
    }

    /**
     * A deterministic split: a seeded permutation, whose first {@code validationSize} examples form
     * the validation part and the rest the training part.
     */
    public Split split(int validationSize, long seed) {
        if (validationSize < 0 || validationSize >= size()) {
            throw new IllegalArgumentException(
                    "validation size must be in [0, " + size() + "); got " + validationSize);
        }
        int[] perm = permutation(size(), seed);
        int[] val = Arrays.copyOfRange(perm, 0, validationSize);
        int[] train = Arrays.copyOfRange(perm, validationSize, perm.length);
        Arrays.sort(val);
        Arrays.sort(train);
        return new Split(subset(train), subset(val));
    }

    /** A Fisher-Yates permutation of 0..n-1 from {@code seed}; the same seed gives the same order everywhere. */
    public static int[] permutation(int n, long seed) {
        int[] perm = new int[n];
        Arrays.setAll(perm, i -> i);
        Random random = new Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return perm;
    }

    /** Train and validation parts of a dataset. */
    public record Split(ImageDataset train, ImageDataset validation) {}
}
