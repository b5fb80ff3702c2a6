package org.robustlab.runner;

import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import org.robustlab.config.RobustLabProperties;
import org.springframework.stereotype.Component;

/**
 * The devices jobs run on: one slot per GPU when there are GPUs (each worker pinned to its own), else
 * {@code robustlab.workers.max-concurrent} CPU slots. Only the CPU path has been exercised here.
 */
@Component
public class DevicePool {

    private final BlockingQueue<String> free;
    private final List<String> all;

    public DevicePool(RobustLabProperties properties) {
        int gpus = gpuCount();
        List<String> devices = new ArrayList<>();
        if (gpus > 0) {
            for (int i = 0; i < gpus; i++) {
                devices.add("gpu" + i);
            }
        } else {
            for (int i = 0; i < properties.workers().maxConcurrent(); i++) {
                devices.add("cpu");
            }
        }
        this.all = List.copyOf(devices);
        this.free = new LinkedBlockingQueue<>(devices);
    }

    static int gpuCount() {
        try {
            return Engine.getEngine("PyTorch").getGpuCount();
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** Number of jobs that may run at once. */
    public int size() {
        return all.size();
    }

    public List<String> devices() {
        return all;
    }

    String take() throws InterruptedException {
        return free.take();
    }

    void release(String device) {
        free.add(device);
    }
}
