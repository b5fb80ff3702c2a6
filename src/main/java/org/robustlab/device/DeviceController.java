package org.robustlab.device;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.robustlab.security.Visibility;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
@RequestMapping("/api/v1/devices")
@Tag(name = "Devices", description = "The native engine of this instance, its GPUs and which job holds each")
class DeviceController {

    private final DevicesView.Source devices;
    private final Visibility visibility;

    DeviceController(NativeEngine engine, DevicePool pool, Visibility visibility) {
        this.devices = new DevicesView.Source(engine, pool);
        this.visibility = visibility;
    }

    @GetMapping
    @Operation(operationId = "getDevices", summary = "libtorch (version, flavour, folder), the GPUs (name, memory) and the jobs on the CPU slots and each GPU")
    DevicesView get() {
        return devices.view(visibility::canRead);
    }
}
