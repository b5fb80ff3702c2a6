package org.robustlab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.ml.engine.EngineSettings;

class WorkerProcessTest {

    @Test
    void workersGetTheEngineSettingsAndTheirGpu() throws Exception {
        EngineSettings engine = new EngineSettings("/opt/libtorch/lib", "2.7.1", "cu128", false, true);
        assertThat(engine.environment()).containsEntry("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib")
                .containsEntry("PYTORCH_VERSION", "2.7.1").containsEntry("PYTORCH_FLAVOR", "cu128");
        List<String> command = WorkerProcess.command(Path.of("task.json"),
                new RobustLabProperties.Workers(1, 2, "2g", 3, 30,
                        new RobustLabProperties.GpuSharing(1, List.of("small-cnn")), true), engine);
        assertThat(command).contains("-Dai.djl.offline=false", "-Dai.djl.pytorch.cudnn_benchmark=true", "-Xmx2g",
                "-Dai.djl.pytorch.num_threads=2");
        assertThat(command.get(command.size() - 1)).isEqualTo("task.json");
        assertThat(EngineSettings.defaults().environment()).isEmpty();
        assertThat(new EngineSettings(" ", "", null, true, false).environment()).isEmpty();
    }

}
