package org.robustlab.ml.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.DatasetId;
import org.robustlab.ml.data.DatasetLocator;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.ml.model.Architecture;
import org.robustlab.ml.model.ModelSpec;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;

/**
 * RobustLab's AutoAttack held to the original's outcomes, point by point. The original (fra31/auto-attack) is in no
 * registry this project can reach and its code is not copied here, so its run is recorded instead: {@code
 * bench/autoattack_compare.py} ran it (version standard, seed 0) with Debian's PyTorch on the model in {@code
 * results/autoattack-comparison/model.safetensors} and the first 1,000 Fashion-MNIST test points, and wrote for every point
 * whether it stayed correct ({@code original-examples.csv}). This test runs our ensemble, standard version at AutoAttack's
 * budgets, on the first {@value #POINTS} of those points and requires: the same clean outcome on every point, and a robust
 * accuracy not above the original's by more than one point in a hundred (ours may be stronger; a weaker ensemble fails).
 */
class AutoAttackOriginalTest {

    private static final int POINTS = 100;
    private static final Path RECORDED = Path.of("results", "autoattack-comparison");

    @Test
    void ourEnsembleIsAsStrongAsTheOriginalOnTheRecordedPoints() throws IOException {
        // skipped, saying why, until the original's run is recorded (it takes hours on these 2 cores; see the note of issue 21)
        Assumptions.assumeTrue(Files.exists(RECORDED.resolve("original-examples.csv")), "the original's outcomes are not recorded"
                + " in results/autoattack-comparison/ yet: run bench/autoattack_compare.py and commit what it writes");
        List<String> rows = Files.readAllLines(RECORDED.resolve("original-examples.csv"));
        List<String> header = Arrays.asList(rows.get(0).split(","));
        int cleanColumn = header.indexOf("clean");
        int ensembleColumn = header.indexOf("ensemble");
        assertThat(cleanColumn).isPositive();
        assertThat(ensembleColumn).isPositive();
        boolean[] theirClean = new boolean[POINTS];
        boolean[] theirRobust = new boolean[POINTS];
        for (int i = 0; i < POINTS; i++) {
            String[] row = rows.get(i + 1).split(",");
            assertThat(Integer.parseInt(row[0])).isEqualTo(i);
            theirClean[i] = row[cleanColumn].equals("1");
            theirRobust[i] = row[ensembleColumn].equals("1");
        }

        ImageDataset test = new DatasetLocator(Path.of("data"), false).load(DatasetId.FASHION_MNIST, false).first(POINTS);
        ModelSpec spec = ModelSpec.of(Architecture.SMALL_CNN, DatasetId.FASHION_MNIST);
        ExampleRecord ours;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu()); Model model = Models.create(spec, manager)) {
            Safetensors.load(model.getBlock(), RECORDED.resolve("model.safetensors"));
            ours = new RobustnessEvaluator(250, 0).run(model.getBlock(), manager, test,
                    List.of(AttackSpec.ensemble(0.1f, 100, 9, 5000)), "the recorded comparison's model").examples();
        }

        List<Integer> cleanDiffers = new ArrayList<>();
        List<Integer> onlyOursKept = new ArrayList<>();
        int ourRobust = 0;
        int theirCount = 0;
        for (int i = 0; i < POINTS; i++) {
            if (ours.clean()[i] != theirClean[i]) {
                cleanDiffers.add(i);
            }
            ourRobust += ours.robust(0, i) ? 1 : 0;
            theirCount += theirRobust[i] ? 1 : 0;
            if (ours.robust(0, i) && !theirRobust[i]) {
                onlyOursKept.add(i);
            }
        }
        assertThat(cleanDiffers).as("points whose clean outcome differs from the original's").isEmpty();
        assertThat(theirCount).as("the original kept some points, so the comparison means something").isGreaterThan(20);
        assertThat(ourRobust).as("robust points: ours %d, the original's %d; points only ours kept: %s", ourRobust, theirCount,
                onlyOursKept).isLessThanOrEqualTo(theirCount + 1);
    }
}
