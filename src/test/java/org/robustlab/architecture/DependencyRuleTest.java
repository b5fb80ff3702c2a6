package org.robustlab.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The ML core stays a plain library: no Spring, no JPA, nothing from the service around it. */
class DependencyRuleTest {

    private final JavaClasses classes = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.robustlab");

    @Test
    void mlCoreDependsOnNeitherSpringNorJpa() {
        noClasses().that().resideInAPackage("org.robustlab.ml..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta.persistence..", "jakarta.validation..")
                .check(classes);
    }

    @Test
    void mlCoreDoesNotReachIntoTheService() {
        noClasses().that().resideInAPackage("org.robustlab.ml..")
                .should().dependOnClassesThat().resideInAnyPackage("org.robustlab.job..", "org.robustlab.evaluation..",
                        "org.robustlab.artifact..", "org.robustlab.dataset..", "org.robustlab.runner..", "org.robustlab.config..",
                        "org.robustlab.report..")
                .allowEmptyShould(true)
                .check(classes);
    }

    @Test
    void theArtifactStoresArePlainJava() {
        noClasses().that().resideInAPackage("org.robustlab.storage..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "jakarta.persistence..",
                        "org.robustlab.job..", "org.robustlab.evaluation..", "org.robustlab.artifact..", "org.robustlab.runner..",
                        "org.robustlab.config..")
                .check(classes);
    }
}
