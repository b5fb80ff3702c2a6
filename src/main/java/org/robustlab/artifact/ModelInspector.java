package org.robustlab.artifact;

import java.io.IOException;
import java.nio.file.Path;
import org.robustlab.ml.data.DatasetId;

/**
 * Checks a lab's TorchScript model before it is stored, away from the service's own process (implemented by the runner,
 * which starts a worker process for it: a module that crashes libtorch or never returns takes only that process with it).
 */
public interface ModelInspector {

    /**
     * Loads {@code archive} with {@code mean} and {@code std} in front of it (or none) and runs the checks on the first
     * test points of {@code dataset}. A model that fails them, or takes longer than the configured limit, is an
     * {@link org.robustlab.problem.InvalidRequestException} on the part {@code file} that says what is wrong; an
     * {@link IOException} is the service's own failure.
     */
    Inspection inspect(Path archive, DatasetId dataset, int numClasses, float[] mean, float[] std) throws IOException;

    /**
     * What the checks measured.
     *
     * @param parameters the module's parameter count
     * @param points the test points checked
     * @param accuracy its accuracy on them
     * @param meanAbsGradient the mean absolute input gradient of the cross-entropy on them
     * @param costPerImage its forward pass relative to SmallCNN's on the same batch (at least 1)
     * @param forwardMicros its forward pass on that batch, in microseconds (median of five)
     * @param formatVersion the TorchScript file-format version the archive records
     * @param seconds how long the checks took, the worker's start included
     */
    record Inspection(long parameters, int points, double accuracy, double meanAbsGradient, double costPerImage,
            long forwardMicros, String formatVersion, double seconds) {}
}
