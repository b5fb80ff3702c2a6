package org.robustlab.runner;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.ml.engine.EngineSettings;

class WorkerProcessTest {

    @Test
    void aWorkerThatRunsALabsModelKeepsNoneOfTheServicesCredentials() {
        Map<String, String> service = new HashMap<>();
        service.put("PATH", "/usr/bin");
        service.put("HOME", "/root");
        service.put("LC_ALL", "C.UTF-8");
        service.put("PYTORCH_LIBRARY_PATH", "/opt/libtorch/lib");
        service.put("ONEDNN_MAX_CPU_ISA", "SSE41");
        service.put("OMP_NUM_THREADS", "2");
        service.put("ROBUSTLAB_DB_PASSWORD", "secret");
        service.put("ROBUSTLAB_S3_SECRET_KEY", "secret");
        service.put("AWS_SECRET_ACCESS_KEY", "secret");
        service.put("SPRING_DATASOURCE_PASSWORD", "secret");
        service.put("ROBUSTLAB_ADMIN_KEY_FILE", "/data/admin-key");
        Map<String, String> kept = WorkerProcess.computeEnvironment(service);
        assertThat(kept).containsOnlyKeys("PATH", "HOME", "LC_ALL", "PYTORCH_LIBRARY_PATH", "ONEDNN_MAX_CPU_ISA", "OMP_NUM_THREADS");
    }

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
