package org.robustlab.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class SweepHalvingTest {

    @Test
    void defaultRungsDivideTheEpochsByTheFactorUntilOne() {
        assertThat(SweepHalving.defaultRungs(10, 3)).containsExactly(1, 3);
        assertThat(SweepHalving.defaultRungs(27, 3)).containsExactly(1, 3, 9);
        assertThat(SweepHalving.defaultRungs(8, 2)).containsExactly(1, 2, 4);
        assertThat(SweepHalving.defaultRungs(2, 3)).isEmpty();
    }

    @Test
    void theTopOneInFactorGoOnAndAtLeastOne() {
        assertThat(SweepHalving.kept(12, 3)).isEqualTo(4);
        assertThat(SweepHalving.kept(4, 3)).isEqualTo(1);
        assertThat(SweepHalving.kept(5, 2)).isEqualTo(2);
        assertThat(SweepHalving.kept(1, 2)).isEqualTo(1);
    }

    @Test
    void configurationsRankByTheirSeedsMeanAndThoseWithoutAScoreNeverGoOn() {
        Map<String, List<Double>> scores = new LinkedHashMap<>();
        scores.put("a", List.of(0.2, 0.4));   // 0.3
        scores.put("b", List.of(0.5));        // 0.5
        scores.put("c", List.of());           // every seed failed
        scores.put("d", List.of(0.1, 0.3));   // 0.2
        scores.put("e", List.of(0.3, 0.3));   // 0.3, ties with a: the sweep's order decides
        scores.put("f", List.of(0.9, 0.0));   // 0.45
        List<SweepHalving.Ranked> r = SweepHalving.decide(scores, 2);
        assertThat(r).extracting(SweepHalving.Ranked::config).containsExactly("b", "f", "a", "e", "d", "c");
        assertThat(r).extracting(SweepHalving.Ranked::continues).containsExactly(true, true, true, false, false, false);
        assertThat(r.get(2).score()).isEqualTo(0.3, Assertions.within(1e-12));
        assertThat(r.get(5).score()).isNaN();

        Map<String, List<Double>> failed = new LinkedHashMap<>();
        failed.put("x", List.of());
        failed.put("y", List.of());
        assertThat(SweepHalving.decide(failed, 2)).noneMatch(SweepHalving.Ranked::continues);
    }
}
