package org.robustlab.ml.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;

/**
 * Cuts a dataset into batches of [0,1] float images (NCHW) and int labels.
 *
 * <p>Every batch is a pure function of (seed, epoch, batch index): the shuffle order comes from a
 * seeded permutation per epoch and the augmentation from a seeded generator per batch. That is what
 * makes a resumed run identical to an uninterrupted one.
 *
 * <p>A batch is assembled on the host, pixels and labels side by side in one float buffer (labels
 * below 2^24 are exact as floats), and copied to the manager's device in one transfer; the images are
 * a view of that array and the labels are cast to int on the device.
 */
public final class BatchLoader {

    private final ImageDataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final boolean augment;
    private final long seed;
    private int cachedEpoch = -1;
    private int[] cachedOrder;

    /**
     * @param shuffle reshuffle every epoch (training) or keep dataset order (evaluation)
     * @param augment the standard CIFAR augmentation: random crop after 4-pixel zero padding and a horizontal flip
     */
    public BatchLoader(ImageDataset data, int batchSize, boolean shuffle, boolean augment, long seed) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive; got " + batchSize);
        }
        this.data = data;
        this.batchSize = batchSize;
        this.shuffle = shuffle;
        this.augment = augment;
        this.seed = seed;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Number of batches in one epoch; the last one may be smaller. */
    public int batchesPerEpoch() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    /** Builds batch {@code index} of {@code epoch} in {@code manager}. */
    public Batch batch(NDManager manager, int epoch, int index) {
        int[] order = order(epoch);
        int start = index * batchSize;
        int end = Math.min(start + batchSize, data.size());
        if (start >= end) {
            throw new IndexOutOfBoundsException("batch " + index + " of " + batchesPerEpoch());
        }
        int n = end - start;
        ImageShape shape = data.shape();
        int size = shape.size();
        float[] pixels = new float[n * size + n];
        int[] labels = new int[n];
        int[] indices = new int[n];
        Random random = augment ? new Random(mix(seed, epoch, index)) : null;
        float[] scratch = augment ? new float[size] : null;
        for (int i = 0; i < n; i++) {
            int example = order[start + i];
            indices[i] = example;
            labels[i] = data.label(example);
            pixels[n * size + i] = labels[i];
            if (augment) {
                data.copyPixels(example, scratch, 0);
                cropAndFlip(scratch, pixels, i * size, shape, random);
            } else {
                data.copyPixels(example, pixels, i * size);
            }
        }
        NDArray all = manager.create(FloatBuffer.wrap(pixels), new Shape(pixels.length));
        NDList parts = all.split(new long[] {(long) n * size});
        NDArray x = parts.get(0).reshape(n, shape.channels(), shape.height(), shape.width());
        NDArray y = parts.get(1).toType(DataType.INT32, false);
        return new Batch(x, y, labels, indices);
    }

    private int[] order(int epoch) {
        if (!shuffle) {
            if (cachedOrder == null) {
                cachedOrder = new int[data.size()];
                Arrays.setAll(cachedOrder, i -> i);
            }
            return cachedOrder;
        }
        if (epoch != cachedEpoch) {
            cachedOrder = ImageDataset.permutation(data.size(), mix(seed, epoch, -1));
            cachedEpoch = epoch;
        }
        return cachedOrder;
    }

    /** Random 4-pixel-padded crop (zero padding) and a horizontal flip with probability 1/2. */
    static void cropAndFlip(float[] src, float[] dst, int offset, ImageShape shape, Random random) {
        int h = shape.height();
        int w = shape.width();
        int dy = random.nextInt(9) - 4;
        int dx = random.nextInt(9) - 4;
        boolean flip = random.nextBoolean();
        for (int c = 0; c < shape.channels(); c++) {
            int plane = c * h * w;
            for (int y = 0; y < h; y++) {
                int sy = y + dy;
                for (int x = 0; x < w; x++) {
                    int sx = (flip ? w - 1 - x : x) + dx;
                    float v = (sy >= 0 && sy < h && sx >= 0 && sx < w) ? src[plane + sy * w + sx] : 0f;
                    dst[offset + plane + y * w + x] = v;
                }
            }
        }
    }

    static long mix(long seed, int epoch, int index) {
        long z = seed * 0x9E3779B97F4A7C15L + epoch * 0xBF58476D1CE4E5B9L + index * 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * One batch: images in [0,1] (N,C,H,W), labels as int32 (N), the labels again as a Java array,
     * and the dataset indices of its examples.
     */
    public record Batch(NDArray x, NDArray y, int[] labels, int[] indices) {
        public int size() {
            return labels.length;
        }
    }
}
