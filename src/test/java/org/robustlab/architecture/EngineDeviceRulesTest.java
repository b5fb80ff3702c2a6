package org.robustlab.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.nd.Devices;
import org.robustlab.ml.nd.Scalars;

/**
 * The engine's hot paths keep their arrays on the model's device and never copy from the host behind
 * the code's back. On a CPU-only machine a misplaced array cannot show itself at run time, so these
 * rules read the bytecode instead:
 * <ul>
 *   <li>no {@code Number} overload of NDArray arithmetic or comparison ({@code x.mul(0.5f)}), each of
 *       which is a synchronous host-to-device copy on a GPU ({@link Scalars} instead); {@code clip}
 *       is allowed, its bounds go to libtorch as numbers;</li>
 *   <li>no manager without an explicit device ({@code NDManager.newBaseManager()} takes the engine's
 *       default device, a GPU whenever there is one, whatever device the job was given).</li>
 * </ul>
 */
class EngineDeviceRulesTest {

    private static final String[] HOT_PATHS = {
        "org.robustlab.ml.attack..", "org.robustlab.ml.loss..", "org.robustlab.ml.training..",
        "org.robustlab.ml.model..", "org.robustlab.ml.nd..", "org.robustlab.ml.evaluation.."};

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.robustlab");

    /** A call of an NDArray method that takes a boxed number, other than clip. */
    static final DescribedPredicate<JavaCall<?>> NUMBER_OVERLOAD = DescribedPredicate.describe(
            "an NDArray method with a Number argument (a host copy on a GPU; use Scalars)",
            call -> call.getTargetOwner().isAssignableTo(NDArray.class)
                    && !call.getName().equals("clip")
                    && call.getTarget().getRawParameterTypes().stream().anyMatch(t -> t.isEquivalentTo(Number.class)));

    static ArchRule noNumberOverloads(String... packages) {
        return noClasses().that().resideInAnyPackage(packages).should().callCodeUnitWhere(NUMBER_OVERLOAD);
    }

    @Test
    void hotPathsMakeNoHiddenHostCopies() {
        noNumberOverloads(HOT_PATHS).check(classes);
        noNumberOverloads("org.robustlab.ml.data..").because("batches are copied to the device once").check(classes);
    }

    @Test
    void theRuleCatchesANumberOverload() {
        JavaClasses offender = new ClassFileImporter().importClasses(Offender.class);
        EvaluationResult result = noNumberOverloads("org.robustlab.architecture..").evaluate(offender);
        assertThat(result.hasViolation()).isTrue();
        assertThat(result.getFailureReport().getDetails()).anyMatch(d -> d.contains("NDArray.mul(java.lang.Number)"));
    }

    @Test
    void engineAndWorkersNameTheDeviceOfEveryManager() {
        noClasses().that().resideInAnyPackage("org.robustlab..")
                .should().callMethod(NDManager.class, "newBaseManager")
                .because("the default device is a GPU whenever there is one, whatever device the job was given")
                .check(classes);
    }

    @Test
    void deviceCheckNamesTheArrayOnTheWrongDevice() {
        try (NDManager cpu = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = cpu.zeros(new Shape(2));
            Devices.require(Device.cpu(), new String[] {"the labels"}, a);
            assertThatThrownBy(() -> Devices.require(Device.gpu(0), new String[] {"the labels"}, a))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the labels is on cpu").hasMessageContaining("gpu(0)");
            assertThat(Devices.same(Device.gpu(1), Device.gpu(0))).isFalse();
            assertThat(Devices.same(Device.cpu(), Device.of("cpu", -1))).isTrue();
        }
    }

    /** Bytecode for the rule's own test: a scalar multiplication the rule must catch. */
    static final class Offender {
        static NDArray half(NDArray x) {
            return x.mul(0.5f);
        }
    }
}
