package org.robustlab.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.evaluation.CreateEvaluationRequest.AttackRequest;
import org.robustlab.ml.attack.AttackSpec;
import org.robustlab.problem.InvalidRequestException;

/** How an evaluation's attacks are read: FAB, the ensemble's versions and custom stages, and the 400s that name a field. */
class EvaluationPlansTest {

    private static List<AttackSpec> attacks(AttackRequest... attacks) {
        return EvaluationPlans.attacks(new CreateEvaluationRequest(null, null, null, null, List.of(attacks), null, null, null, null));
    }

    private static AttackRequest ensemble(String version, List<AttackRequest> stages) {
        return new AttackRequest("ensemble", 0.1, null, null, null, null, null, null, null, null, version, stages);
    }

    @Test
    void fabAndTheEnsemblesVersionsHaveAutoAttacksBudgets() {
        assertThat(attacks(AttackRequest.of("fab", 0.1), AttackRequest.of("fab-t", 0.1), AttackRequest.of("ensemble", 0.1),
                ensemble("plus", null), ensemble("rand", null)))
                .extracting(AttackSpec::label)
                .containsExactly("fab-100", "fab-t-100x9", "ensemble", "ensemble-plus", "ensemble-rand");
        AttackSpec custom = attacks(ensemble("custom", List.of(AttackRequest.of("apgd-ce", null),
                new AttackRequest("square", null, null, null, 2, null, null, 300, null, null, null, null)))).get(0);
        assertThat(custom.label()).isEqualTo("ensemble-custom");
        assertThat(custom.stages()).extracting(AttackSpec::label).containsExactly("apgd-ce-100", "square-300x2");
        assertThat(custom.stages()).allSatisfy(s -> assertThat(s.epsilon()).isEqualTo(0.1f));
    }

    @Test
    void badEnsemblesAre400sThatNameTheField() {
        assertField(() -> attacks(ensemble("strongest", null)), "attacks[0].version", "must be one of [standard, plus, rand, custom]");
        assertField(() -> attacks(ensemble("custom", null)), "attacks[0].stages", "must list the attacks");
        // an empty list is no stages, as openapi-generator's Java client sends it for every attack
        assertThat(attacks(new AttackRequest("fgsm", 0.1, null, null, null, null, null, null, null, null, null, List.of())))
                .extracting(AttackSpec::label).containsExactly("fgsm");
        assertThat(attacks(ensemble("standard", List.of())).get(0).stages()).hasSize(4);
        assertField(() -> attacks(ensemble("standard", List.of(AttackRequest.of("fgsm", null)))), "attacks[0].stages",
                "version standard has its own");
        assertField(() -> attacks(ensemble("custom", List.of(ensemble("standard", null)))), "attacks[0].stages[0].type",
                "cannot be an ensemble inside an ensemble");
        assertField(() -> attacks(ensemble("custom", List.of(AttackRequest.of("fgsm", 0.2)))), "attacks[0].stages[0].epsilon",
                "the ensemble's epsilon");
        assertField(() -> attacks(new AttackRequest("pgd", 0.1, null, null, null, null, null, null, null, null, "plus", null)),
                "attacks[0].version", "applies to an ensemble only");
    }

    private static void assertField(Runnable call, String field, String detail) {
        assertThatThrownBy(call::run).isInstanceOf(InvalidRequestException.class).hasMessageContaining(detail)
                .satisfies(e -> assertThat(((InvalidRequestException) e).field()).isEqualTo(field));
    }
}
