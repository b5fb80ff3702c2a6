package org.robustlab.runner;

import ai.djl.engine.Engine;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/** Health of the DJL PyTorch engine: it loads, its version, and the devices jobs are placed on. */
@Component("djlEngine")
class EngineHealthIndicator extends AbstractHealthIndicator {

    private final DevicePool devices;

    EngineHealthIndicator(DevicePool devices) {
        this.devices = devices;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        Engine engine = Engine.getEngine("PyTorch");
        builder.up()
                .withDetail("engine", engine.getEngineName())
                .withDetail("version", engine.getVersion())
                .withDetail("gpus", engine.getGpuCount())
                .withDetail("workerSlots", devices.devices());
    }
}
