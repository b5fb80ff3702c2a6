package org.robustlab.architecture;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The house, drawn: every package of the service and the packages it may import, lowest first. A package imports
 * only packages drawn below it, so no arrow points up and no cycle can form; a new import across the drawing
 * fails the build here. The ML core ({@code ml.*}) is a plain library at the bottom (see {@link DependencyRuleTest}).
 *
 * <pre>
 *   runner    retention                     adapters: the worker supervisor and db-scheduler; deletions across features
 *   sweep     leaderboard                   features over features
 *   evaluation
 *   job
 *   artifact  dataset   report              models, datasets, the report renderer
 *   security  device    execution  worker   who may do what; GPUs; the job life cycle; the child JVM (Spring-free)
 *   config                                  properties and web plumbing
 *   problem   storage   ml.*                error types and problem+json; object stores; the ML core
 * </pre>
 */
class HouseTest {

    /** Each package and what it may import (besides itself and the libraries). */
    static final Map<String, List<String>> HOUSE = new LinkedHashMap<>();

    static {
        HOUSE.put("ml.nd", List.of());
        HOUSE.put("ml.data", List.of("ml.nd"));
        HOUSE.put("ml.engine", List.of());
        HOUSE.put("ml.loss", List.of("ml.nd"));
        HOUSE.put("ml.model", List.of("ml.data", "ml.nd"));
        HOUSE.put("ml.attack", List.of("ml.loss", "ml.model", "ml.nd"));
        HOUSE.put("ml.evaluation", List.of("ml.attack", "ml.data", "ml.loss", "ml.model", "ml.nd"));
        HOUSE.put("ml.training", List.of("ml.attack", "ml.data", "ml.evaluation", "ml.loss", "ml.model", "ml.nd"));
        HOUSE.put("storage", List.of());
        HOUSE.put("problem", List.of());
        HOUSE.put("config", List.of("problem", "storage", "ml.engine"));
        HOUSE.put("worker", List.of("ml.*"));
        HOUSE.put("device", List.of("config", "problem", "security", "ml.*"));
        HOUSE.put("security", List.of("config", "problem"));
        HOUSE.put("execution", List.of("config", "problem"));
        HOUSE.put("report", List.of("ml.*"));
        HOUSE.put("dataset", List.of("config", "problem", "ml.*"));
        HOUSE.put("artifact", List.of("config", "dataset", "problem", "security", "storage", "ml.*"));
        HOUSE.put("job", List.of("artifact", "dataset", "device", "execution", "security", "config", "problem", "ml.*"));
        HOUSE.put("evaluation", List.of("artifact", "dataset", "device", "execution", "report", "security", "config", "problem",
                "storage", "ml.*"));
        HOUSE.put("sweep", List.of("job", "evaluation", "execution", "report", "security", "config", "problem", "ml.*"));
        HOUSE.put("leaderboard", List.of("job", "evaluation", "artifact", "report", "security", "config", "problem", "ml.*"));
        HOUSE.put("retention", List.of("job", "evaluation", "sweep", "artifact", "execution", "security", "storage", "config",
                "problem"));
        HOUSE.put("runner", List.of("job", "evaluation", "artifact", "dataset", "device", "execution", "worker", "storage", "config",
                "problem", "ml.*"));
    }

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.robustlab");

    /** The drawing as an ArchUnit layered architecture: one layer per package, each accessing only what it may. */
    static ArchRule house() {
        LayeredArchitecture layers = layeredArchitecture().consideringOnlyDependenciesInAnyPackage("org.robustlab..");
        for (String p : HOUSE.keySet()) {
            layers = layers.layer(p).definedBy("org.robustlab." + p + "..");
        }
        for (var e : HOUSE.entrySet()) {
            String[] allowed = e.getValue().stream()
                    .flatMap(a -> a.equals("ml.*") ? HOUSE.keySet().stream().filter(k -> k.startsWith("ml.")) : Stream.of(a))
                    .toArray(String[]::new);
            layers = allowed.length == 0 ? layers.whereLayer(e.getKey()).mayNotAccessAnyLayer()
                    : layers.whereLayer(e.getKey()).mayOnlyAccessLayers(allowed);
        }
        return layers;
    }

    @Test
    void everyPackageImportsOnlyWhatTheDrawingAllows() {
        house().check(classes);
    }

    @Test
    void thePackagesAreFreeOfCycles() {
        slices().matching("org.robustlab.(*)..").should().beFreeOfCycles().check(classes);
        slices().matching("org.robustlab.ml.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void everyPackageIsInTheDrawing() {
        List<String> undrawn = classes.stream()
                .map(c -> c.getPackageName())
                .filter(p -> p.startsWith("org.robustlab."))
                .map(p -> p.substring("org.robustlab.".length()))
                .map(p -> p.startsWith("ml.") ? p.split("\\.")[0] + "." + p.split("\\.")[1] : p.split("\\.")[0])
                .distinct()
                .filter(p -> !HOUSE.containsKey(p))
                .toList();
        assertThat(undrawn).as("packages missing from HouseTest.HOUSE").isEmpty();
    }
}
