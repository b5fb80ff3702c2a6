package org.robustlab.ml.data;

/** Channels, height and width of one image. */
public record ImageShape(int channels, int height, int width) {

    public ImageShape {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image dimensions must be positive: " + this);
        }
    }

    /** Number of values in one image. */
    public int size() {
        return channels * height * width;
    }
}
