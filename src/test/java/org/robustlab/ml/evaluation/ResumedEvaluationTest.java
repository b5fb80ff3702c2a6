package org.robustlab.ml.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.ml.data.ImageDataset;
import org.robustlab.testing.SyntheticData;
import org.robustlab.testing.UntrainedModels;

/**
 * An evaluation stopped halfway through its ensemble and started again on its saved state does only the units left,
 * and ends with the same report figures and the same per-example record, line for line, as one never stopped.
 */
class ResumedEvaluationTest {

    private static final List<AttackSpec> ATTACKS = List.of(AttackSpec.pgd(0.1f, 3, 0.03f),
            AttackSpec.customEnsemble(0.1f, List.of(AttackSpec.apgdCe(0.1f, 4), AttackSpec.fabT(0.1f, 3, 2), AttackSpec.square(0.1f, 15))));

    @Test
    void anInterruptedEvaluationResumesToTheSameRecord(@TempDir Path dir) throws Exception {
        ImageDataset test = SyntheticData.squares(24, 1, 28, 10, 4);
        try (NDManager manager = NDManager.newBaseManager()) {
            Model model = UntrainedModels.smallCnn(manager);
            RobustnessEvaluator.Evaluation whole = new RobustnessEvaluator(8, 3).optState(dir.resolve("whole.json"))
                    .run(model.getBlock(), manager, test, ATTACKS, "m");
            whole.examples().writeCsv(dir.resolve("whole.csv"));

            // stopped when the ensemble's first batch is done: 3 clean units, 3 PGD units, 1 ensemble unit
            Path state = dir.resolve("state.json");
            AtomicInteger units = new AtomicInteger();
            assertThatThrownBy(() -> new RobustnessEvaluator(8, 3).optState(state).optProgress(units::set)
                    .optCancellation(() -> units.get() >= 7).run(model.getBlock(), manager, test, ATTACKS, "m"))
                    .isInstanceOf(CancellationException.class);
            EvaluationState saved = EvaluationState.load(state, fingerprintOf(state), 24, 2, 3);
            assertThat(saved.unitsDone()).isEqualTo(7);
            assertThat(saved.done[1]).containsExactly(true, false, false);

            RobustnessEvaluator.Evaluation resumed = new RobustnessEvaluator(8, 3).optState(state)
                    .run(model.getBlock(), manager, test, ATTACKS, "m");
            resumed.examples().writeCsv(dir.resolve("resumed.csv"));
            assertThat(Files.readString(dir.resolve("resumed.csv"))).isEqualTo(Files.readString(dir.resolve("whole.csv")));
            assertThat(resumed.report().worstCaseAccuracy()).isEqualTo(whole.report().worstCaseAccuracy());
            assertThat(resumed.report().results()).extracting(RobustnessReport.AttackResult::robustAccuracy)
                    .isEqualTo(whole.report().results().stream().map(RobustnessReport.AttackResult::robustAccuracy).toList());
            // a state of another evaluation (other attacks) is not resumed
            EvaluationState other = EvaluationState.load(state, "another evaluation", 24, 2, 3);
            assertThat(other.unitsDone()).isZero();
            model.close();
        }
    }

    private static String fingerprintOf(Path state) throws Exception {
        String text = Files.readString(state);
        return JsonParser.parseString(text).getAsJsonObject().get("fingerprint").getAsString();
    }

    @Test
    void theRecordReadsBackAsItWasWritten(@TempDir Path dir) throws Exception {
        ImageDataset test = SyntheticData.squares(10, 1, 28, 10, 5);
        try (NDManager manager = NDManager.newBaseManager()) {
            Model model = UntrainedModels.smallCnn(manager);
            RobustnessEvaluator.Evaluation e = new RobustnessEvaluator(4, 1).run(model.getBlock(), manager, test,
                    List.of(AttackSpec.fgsm(0.05f), AttackSpec.pgd(0.2f, 3, 0.07f)), "m");
            e.examples().writeCsv(dir.resolve("a.csv"));
            ExampleRecord back = ExampleRecord.readCsv(Files.readString(dir.resolve("a.csv")));
            back.writeCsv(dir.resolve("b.csv"));
            assertThat(Files.readString(dir.resolve("b.csv"))).isEqualTo(Files.readString(dir.resolve("a.csv")));
            assertThat(back.epsilons()).containsExactly(0.05f, 0.2f);
            // the worst case of the report is the record's robust points, at each epsilon
            for (int eps = 0; eps < 2; eps++) {
                int robust = 0;
                for (int i = 0; i < back.size(); i++) {
                    robust += back.robust(eps, i) ? 1 : 0;
                }
                assertThat(robust / 10.0).isEqualTo(e.report().worstCaseAccuracy().get(eps).accuracy());
            }
            // intervals bracket every accuracy
            assertThat(e.report().cleanInterval().lower()).isLessThanOrEqualTo(e.report().cleanAccuracy());
            assertThat(e.report().results()).allSatisfy(r -> assertThat(r.interval().upper()).isGreaterThanOrEqualTo(r.robustAccuracy()));
            assertThat(e.report().autoAttackChecks()).extracting(MaskingCheck::name).contains("autoattack-not-randomized",
                    "autoattack-inference-mode", "autoattack-outputs-are-logits", "autoattack-no-zero-gradients", "autoattack-enough-classes");
            assertThat(e.report().autoAttackChecks()).filteredOn(c -> !c.name().equals("autoattack-no-zero-gradients"))
                    .allSatisfy(c -> assertThat(c.passed()).as(c.detail()).isTrue());
            model.close();
        }
    }
}
