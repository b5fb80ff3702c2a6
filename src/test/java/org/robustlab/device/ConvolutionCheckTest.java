package org.robustlab.device;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.robustlab.ml.engine.ConvolutionCheck;
import org.robustlab.ml.engine.EngineSettings;

/**
 * The convolution check in fresh JVMs, with oneDNN as the CPU makes it and capped at SSE4.1; and the service's choice of
 * the workers' cap from its result.
 */
class ConvolutionCheckTest {

    @Test
    void theBuiltInArchitecturesAreRightUncappedAndAnyModelIsRightCapped() throws Exception {
        assertThat(check(null, "built-in")).as("the built-in architectures' convolutions, oneDNN uncapped").startsWith("passed=true");
        String capped = check(ConvolutionCheck.SAFE_ISA, "any");
        assertThat(capped).as("with %s=%s", ConvolutionCheck.ISA_VARIABLE, ConvolutionCheck.SAFE_ISA).startsWith("passed=true");
        String uncapped = check(null, "any");
        // on most CPUs this passes; on an AMD Zen 5 with DJL's libtorch 2.7.1 it does not (results/onednn-convolution-check.md)
        System.out.println("convolution check for padded channel counts without a cap on this CPU: " + uncapped);
        boolean passed = uncapped.startsWith("passed=true");
        ConvolutionCheck result = new ConvolutionCheck(passed, passed ? 0.0 : 1.0, uncapped);
        EngineSettings workers = NativeEngine.workerSettings(EngineSettings.defaults(), result, true, null);
        assertThat(workers.onednnMaxCpuIsa()).isEqualTo(passed ? null : ConvolutionCheck.SAFE_ISA);
    }

    @Test
    void theCapIsSetOnlyWhenLeftToAFailedCheckAndNotInherited() {
        ConvolutionCheck failed = new ConvolutionCheck(false, 3.9, "differs");
        ConvolutionCheck passed = new ConvolutionCheck(true, 0.0, "matches");
        EngineSettings none = EngineSettings.defaults();
        assertThat(NativeEngine.workerSettings(none, failed, true, null).environment())
                .containsEntry(ConvolutionCheck.ISA_VARIABLE, ConvolutionCheck.SAFE_ISA);
        assertThat(NativeEngine.workerSettings(none, passed, true, null).environment()).doesNotContainKey(ConvolutionCheck.ISA_VARIABLE);
        assertThat(NativeEngine.workerSettings(none, failed, false, null).environment()).doesNotContainKey(ConvolutionCheck.ISA_VARIABLE);
        assertThat(NativeEngine.workerSettings(none, failed, true, "AVX512_CORE").environment())
                .as("the operator's own cap, which workers inherit, is left alone").doesNotContainKey(ConvolutionCheck.ISA_VARIABLE);
        assertThat(failed.advice()).contains("ONEDNN_MAX_CPU_ISA=SSE41").contains("differs");
    }

    /**
     * Runs the check for {@code channels} ("built-in" or "any") in a new JVM with oneDNN capped at {@code isa} (null: no
     * cap); returns its line.
     */
    private static String check(String isa, String channels) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), ConvolutionCheckMain.class.getName(), channels).redirectErrorStream(true);
        builder.environment().remove(ConvolutionCheck.ISA_VARIABLE);
        if (isa != null) {
            builder.environment().put(ConvolutionCheck.ISA_VARIABLE, isa);
        }
        Process p = builder.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        List<String> lines = output.lines().filter(l -> l.startsWith("passed=")).toList();
        assertThat(lines).as(output).hasSize(1);
        return lines.get(0);
    }

    /** Prints the check's result as one line. */
    public static final class ConvolutionCheckMain {
        public static void main(String[] args) {
            ConvolutionCheck c = ConvolutionCheck.run(args[0].equals("built-in") ? ConvolutionCheck.BUILT_IN_CHANNELS
                    : ConvolutionCheck.ANY_CHANNELS);
            System.out.println("passed=" + c.passed() + " largest=" + c.largestDifference() + " " + c.detail());
        }
    }
}
