package org.robustlab.device;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;

/**
 * Health of the DJL PyTorch engine: which libtorch loaded (version, flavour, folder), the GPUs with the
 * jobs on them, and the CPU slots; DOWN, with the reason, when libtorch did not load.
 */
@Component("djlEngine")
class EngineHealthIndicator extends AbstractHealthIndicator {

    private final DevicesView.Source devices;

    EngineHealthIndicator(NativeEngine engine, DevicePool pool) {
        this.devices = new DevicesView.Source(engine, pool);
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        DevicesView view = devices.view();
        (view.engine().error() == null ? builder.up() : builder.down())
                .withDetail("engine", view.engine())
                .withDetail("gpus", view.gpus())
                .withDetail("cpu", view.cpu());
    }
}
