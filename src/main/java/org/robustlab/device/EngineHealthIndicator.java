package org.robustlab.device;

import org.robustlab.security.Caller;
import org.robustlab.security.Visibility;
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
    private final Visibility visibility;

    EngineHealthIndicator(NativeEngine engine, DevicePool pool, Visibility visibility) {
        this.devices = new DevicesView.Source(engine, pool);
        this.visibility = visibility;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        // with private reads, only the caller's own jobs by id (health is built for the caller who asked)
        DevicesView view = devices.view(owner -> Caller.isSet() && visibility.canRead(owner));
        (view.engine().error() == null ? builder.up() : builder.down())
                .withDetail("engine", view.engine())
                .withDetail("gpus", view.gpus())
                .withDetail("cpu", view.cpu());
    }
}
