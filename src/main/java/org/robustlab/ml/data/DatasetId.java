package org.robustlab.ml.data;

import java.util.Arrays;
import java.util.List;

/**
 * The datasets RobustLab knows, with their image shape, classes and the per-channel mean and std
 * that the model's first layer uses for normalisation (pixels stay in [0,1] everywhere else).
 */
public enum DatasetId {
    FASHION_MNIST("fashion-mnist", new ImageShape(1, 28, 28), 10,
            new float[] {0.2860f}, new float[] {0.3530f},
            List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    MNIST("mnist", new ImageShape(1, 28, 28), 10,
            new float[] {0.1307f}, new float[] {0.3081f},
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9")),
    CIFAR10("cifar10", new ImageShape(3, 32, 32), 10,
            new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2471f, 0.2435f, 0.2616f},
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")),
    CIFAR100("cifar100", new ImageShape(3, 32, 32), 100,
            new float[] {0.5071f, 0.4865f, 0.4409f}, new float[] {0.2673f, 0.2564f, 0.2762f},
            // the fine labels of the binary version's fine_label_names.txt, in label order
            List.of("apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
                    "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
                    "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup",
                    "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house",
                    "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man",
                    "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree", "orange", "orchid",
                    "otter", "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy", "porcupine",
                    "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal", "shark", "shrew",
                    "skunk", "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar", "sunflower",
                    "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor", "train", "trout",
                    "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm"));

    private final String id;
    private final ImageShape shape;
    private final int numClasses;
    private final float[] mean;
    private final float[] std;
    private final List<String> classNames;

    DatasetId(String id, ImageShape shape, int numClasses, float[] mean, float[] std, List<String> classNames) {
        this.id = id;
        this.shape = shape;
        this.numClasses = numClasses;
        this.mean = mean;
        this.std = std;
        this.classNames = classNames;
    }

    /** The name used in plans and over HTTP, e.g. {@code fashion-mnist}. */
    public String id() {
        return id;
    }

    public ImageShape shape() {
        return shape;
    }

    public int numClasses() {
        return numClasses;
    }

    public float[] mean() {
        return mean.clone();
    }

    public float[] std() {
        return std.clone();
    }

    public List<String> classNames() {
        return classNames;
    }

    /** Whether the standard CIFAR augmentation (pad-4 crop and flip) makes sense for it. */
    public boolean isCifar() {
        return this == CIFAR10 || this == CIFAR100;
    }

    /** Parses {@code fashion-mnist}, {@code cifar10}, ... (case-insensitive). */
    public static DatasetId fromId(String value) {
        for (DatasetId d : values()) {
            if (d.id.equalsIgnoreCase(value) || d.name().equalsIgnoreCase(value)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown dataset '" + value + "'; expected one of "
                + Arrays.stream(values()).map(DatasetId::id).toList());
    }

    @Override
    public String toString() {
        return id;
    }
}
