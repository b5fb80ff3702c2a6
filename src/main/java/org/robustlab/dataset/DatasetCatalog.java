package org.robustlab.dataset;

import java.nio.file.Path;
import org.robustlab.problem.Problems;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.problem.InvalidRequestException;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.springframework.stereotype.Component;

/**
 * The datasets this instance can train and evaluate on, for the API: their availability in words
 * without server paths, their sizes from the files' headers, and the checks a request must pass at
 * submission (the dataset is there, the subsets fit it), so that a job never fails later for them.
 */
@Component
public class DatasetCatalog {

    private static final Path SYSTEM = Path.of("/usr/share/datasets");

    private final DatasetLocator locator;
    private final Path dataDir;

    DatasetCatalog(RobustLabProperties properties) {
        this.dataDir = properties.dataDir().toAbsolutePath().normalize();
        this.locator = new DatasetLocator(dataDir, properties.downloadDatasets());
    }

    DatasetLocator.Availability availability(DatasetId id) {
        return locator.availability(id);
    }

    /** {@code text} with the data folder named {@code data-dir} and the system folder {@code system datasets}. */
    String describe(String text) {
        return Problems.withoutPaths(text, dataDir, "data-dir", SYSTEM, "system datasets");
    }

    /**
     * Checks a training request's data: the dataset is present (or will be downloaded), the validation split
     * leaves images to train on, and {@code trainSubset} fits what is left. Returns the number of images the
     * job will train on.
     */
    public int checkTraining(DatasetId id, int trainSubset, int validationSize) {
        int count = present(id, true);
        if (validationSize >= count) {
            throw new InvalidRequestException("validation.size", "validation.size " + validationSize + " must be below the "
                    + count + " training images of " + id.id());
        }
        int left = count - validationSize;
        if (trainSubset > left) {
            throw new InvalidRequestException("trainSubset", "trainSubset " + trainSubset + " is more than the " + left
                    + " training images of " + id.id() + " left after holding out " + validationSize
                    + " for validation (validation.size); ask for at most " + left + ", or 0 for all");
        }
        return trainSubset > 0 ? trainSubset : left;
    }

    /**
     * Checks an evaluation's data: the dataset's test part is present and holds {@code testSubset} images.
     * Returns the number of images the evaluation will use.
     */
    public int checkTest(DatasetId id, int testSubset) {
        int count = present(id, false);
        if (testSubset > count) {
            throw new InvalidRequestException("testSubset", "testSubset " + testSubset + " is more than the " + count
                    + " test images of " + id.id() + "; ask for at most " + count + ", or 0 for all");
        }
        return testSubset > 0 ? testSubset : count;
    }

    private int present(DatasetId id, boolean train) {
        int count;
        try {
            count = locator.count(id, train);
        } catch (RuntimeException e) {
            throw new InvalidRequestException("dataset", "dataset " + id.id() + " is present but unreadable: "
                    + describe(e.getMessage()) + " (see GET /api/v1/datasets)");
        }
        if (count < 0) {
            throw new InvalidRequestException("dataset", "dataset " + id.id() + " is not available on this instance: "
                    + describe(locator.availability(id).detail()) + " (see GET /api/v1/datasets)");
        }
        return count;
    }
}
