package org.robustlab.testing;

import java.util.List;
import java.util.Random;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.data.ImageShape;

/** Small learnable image sets for tests: each class is a bright square at its own place, plus noise. */
public final class SyntheticData {

    private SyntheticData() {}

    public static ImageDataset squares(int n, int channels, int size, int classes, long seed) {
        Random random = new Random(seed);
        ImageShape shape = new ImageShape(channels, size, size);
        byte[] pixels = new byte[n * shape.size()];
        int[] labels = new int[n];
        int cells = (int) Math.ceil(Math.sqrt(classes));
        int cell = size / cells;
        for (int i = 0; i < n; i++) {
            int label = i % classes;
            labels[i] = label;
            int cy = (label / cells) * cell;
            int cx = (label % cells) * cell;
            for (int c = 0; c < channels; c++) {
                for (int yy = 0; yy < size; yy++) {
                    for (int xx = 0; xx < size; xx++) {
                        boolean inside = yy >= cy && yy < cy + cell && xx >= cx && xx < cx + cell;
                        int v = (inside ? 180 : 40) + random.nextInt(60);
                        pixels[i * shape.size() + c * size * size + yy * size + xx] = (byte) v;
                    }
                }
            }
        }
        String[] names = new String[classes];
        for (int k = 0; k < classes; k++) {
            names[k] = "class-" + k;
        }
        return new ImageDataset("squares", shape, classes, pixels, labels, List.of(names));
    }
}
