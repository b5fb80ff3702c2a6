package org.robustlab.testing;

import ai.djl.Device;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.robustlab.ml.engine.EngineInfo;

/**
 * Runs a test class only where libtorch sees a GPU, and says why it is skipped elsewhere (in the build log
 * and as the skip reason in the test report). {@code -Drobustlab.gpu-test.device=cpu} runs it on the CPU
 * instead: the dry run of the GPU script.
 */
public final class RequiresGpu implements ExecutionCondition {

    /** The device the class runs on: GPU 0, or the CPU in a dry run. */
    public static Device device() {
        return "cpu".equals(System.getProperty("robustlab.gpu-test.device")) ? Device.cpu() : Device.gpu(0);
    }

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (!device().isGpu()) {
            return ConditionEvaluationResult.enabled("dry run on the CPU (-Drobustlab.gpu-test.device=cpu)");
        }
        EngineInfo engine = EngineInfo.read();
        if (engine.gpus() > 0) {
            return ConditionEvaluationResult.enabled(engine.gpus() + " GPU(s), libtorch " + engine.libtorchVersion() + " " + engine.flavor());
        }
        String reason = "skipped: no GPU here (libtorch " + engine.libtorchVersion() + " " + engine.flavor() + " from "
                + engine.folder() + " sees none); these tests run on a GPU machine: README 'On a GPU machine', scripts/gpu/run.sh";
        System.out.println(context.getDisplayName() + " " + reason);
        return ConditionEvaluationResult.disabled(reason);
    }
}
