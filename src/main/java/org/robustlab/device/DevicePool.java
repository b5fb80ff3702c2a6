package org.robustlab.device;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.robustlab.config.RobustLabProperties;
import org.robustlab.problem.InvalidRequestException;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * Where jobs run on this instance: {@code robustlab.workers.max-concurrent} CPU slots, and one slot per
 * GPU that libtorch can use, each worker pinned to its GPU with CUDA_VISIBLE_DEVICES. Jobs of small
 * models may share a GPU, up to {@code robustlab.workers.gpu-sharing.small-jobs-per-gpu} of them; any
 * other job has its GPU to itself. A job asks for {@code cpu}, {@code gpu} or {@code auto} (a GPU when
 * the instance has one) and waits until such a slot is free.
 */
@Component
public class DevicePool {

    /** What a job asks for. */
    public enum Request {
        AUTO, CPU, GPU;

        /** auto, cpu or gpu (null: auto). */
        public static Request fromId(String id) {
            if (id == null) {
                return AUTO;
            }
            return switch (id.toLowerCase(Locale.ROOT)) {
                case "auto" -> AUTO;
                case "cpu" -> CPU;
                case "gpu" -> GPU;
                default -> throw new IllegalArgumentException("device must be one of [auto, cpu, gpu]; got '" + id + "'");
            };
        }
    }

    /** Who holds a slot. */
    public record Holder(String kind, UUID id, String architecture, String owner) {}

    /**
     * A place a job runs.
     *
     * @param gpu the GPU's number on this instance, or -1 for the CPU
     * @param pin what the worker's CUDA_VISIBLE_DEVICES is set to ("" for a CPU worker: it sees no GPU)
     */
    public record Slot(int gpu, String pin) {
        public boolean isGpu() {
            return gpu >= 0;
        }

        /** The device the worker uses: its one visible GPU is its gpu0. */
        public String workerDevice() {
            return isGpu() ? "gpu0" : "cpu";
        }

        /** What the job records: cpu, or gpuN with N this instance's number of the GPU. */
        public String label() {
            return isGpu() ? "gpu" + gpu : "cpu";
        }

        /** The worker's environment for this slot. */
        public Map<String, String> environment() {
            return Map.of("CUDA_VISIBLE_DEVICES", pin);
        }
    }

    private final int cpuSlots;
    private final List<String> pins;
    private final int smallJobsPerGpu;
    private final Set<String> smallArchitectures;
    private final List<Holder> cpuHolders = new ArrayList<>();
    private final List<List<Holder>> gpuHolders = new ArrayList<>();

    @Autowired
    public DevicePool(RobustLabProperties properties, NativeEngine engine) {
        this(properties.workers().maxConcurrent(), engine.pins(), properties.workers().gpuSharing().smallJobsPerGpu(),
                Set.copyOf(properties.workers().gpuSharing().smallArchitectures()));
    }

    DevicePool(int cpuSlots, List<String> pins, int smallJobsPerGpu, Set<String> smallArchitectures) {
        this.cpuSlots = cpuSlots;
        this.pins = List.copyOf(pins);
        this.smallJobsPerGpu = smallJobsPerGpu;
        this.smallArchitectures = smallArchitectures;
        for (int i = 0; i < pins.size(); i++) {
            gpuHolders.add(new ArrayList<>());
        }
    }

    /** Number of jobs that may run at once (the scheduler's threads). */
    public int size() {
        return cpuSlots + pins.size() * smallJobsPerGpu;
    }

    public int gpuCount() {
        return pins.size();
    }

    /** Throws an {@link IllegalArgumentException} saying why, when this instance cannot serve {@code request}. */
    public void check(Request request) {
        if (request == Request.GPU && pins.isEmpty()) {
            throw new IllegalArgumentException("device gpu: this instance has no GPU that its libtorch can use"
                    + " (see GET /api/v1/devices); ask for auto or cpu");
        }
    }

    /**
     * Checks a request's {@code device} field at submission: an unknown value, or gpu on an instance
     * without one, is an {@link InvalidRequestException} on the field.
     */
    public void checkRequest(String device) {
        try {
            check(Request.fromId(device));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("device", e.getMessage());
        }
    }

    /** Waits for a slot for {@code holder}; the caller releases it. */
    public synchronized Slot acquire(Request request, Holder holder) throws InterruptedException {
        boolean gpu = request == Request.GPU || request == Request.AUTO && !pins.isEmpty();
        check(request);
        boolean small = smallArchitectures.contains(holder.architecture());
        while (true) {
            if (!gpu && cpuHolders.size() < cpuSlots) {
                cpuHolders.add(holder);
                return new Slot(-1, "");
            }
            if (gpu) {
                int chosen = freeGpu(small);
                if (chosen >= 0) {
                    gpuHolders.get(chosen).add(holder);
                    return new Slot(chosen, pins.get(chosen));
                }
            }
            wait();
        }
    }

    /**
     * The GPU a job may take: for a small model, one already shared by small jobs with room left (to keep
     * other GPUs whole for big ones), else an idle one; for any other model, an idle one. -1 when none.
     */
    private int freeGpu(boolean small) {
        if (small && smallJobsPerGpu > 1) {
            for (int i = 0; i < gpuHolders.size(); i++) {
                List<Holder> on = gpuHolders.get(i);
                if (!on.isEmpty() && on.size() < smallJobsPerGpu
                        && on.stream().allMatch(h -> smallArchitectures.contains(h.architecture()))) {
                    return i;
                }
            }
        }
        for (int i = 0; i < gpuHolders.size(); i++) {
            if (gpuHolders.get(i).isEmpty()) {
                return i;
            }
        }
        return -1;
    }

    public synchronized void release(Slot slot, Holder holder) {
        if (slot.isGpu()) {
            gpuHolders.get(slot.gpu()).remove(holder);
        } else {
            cpuHolders.remove(holder);
        }
        notifyAll();
    }

    /** Who holds the CPU slots and each GPU, now. */
    public synchronized Occupancy occupancy() {
        List<List<Holder>> gpus = new ArrayList<>();
        gpuHolders.forEach(h -> gpus.add(List.copyOf(h)));
        return new Occupancy(cpuSlots, List.copyOf(cpuHolders), List.copyOf(gpus));
    }

    /**
     * @param cpuSlots CPU slots in all
     * @param cpu the jobs on the CPU slots
     * @param gpus the jobs on each GPU, by this instance's number of the GPU
     */
    public record Occupancy(int cpuSlots, List<Holder> cpu, List<List<Holder>> gpus) {}
}
