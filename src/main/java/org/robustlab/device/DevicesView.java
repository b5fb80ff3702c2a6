package org.robustlab.device;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.robustlab.ml.engine.ConvolutionCheck;
import org.robustlab.ml.engine.EngineInfo;

/**
 * What this instance runs jobs on.
 *
 * @param engine the native engine
 * @param cpu the CPU slots and the jobs on them
 * @param gpus each GPU libtorch can use, with the jobs on it
 */
public record DevicesView(Engine engine, Cpu cpu, List<Gpu> gpus) {

    /**
     * @param djlVersion DJL's version
     * @param libtorchVersion the loaded libtorch's version (null if it failed to load)
     * @param flavor cpu, or a CUDA build (cu128, ...)
     * @param folder the folder libtorch was loaded from
     * @param cudaVersion the CUDA runtime's version, with a GPU
     * @param offline whether natives may be downloaded
     * @param cudnnBenchmark whether workers run with cuDNN benchmark mode
     * @param error why the engine did not load, or null
     * @param convolutionCheck whether this CPU's libtorch computes the built-in architectures' batched convolutions right
     *     (checked at start)
     * @param anyChannelsCheck the same for channel counts that oneDNN pads, as a lab's own model may have
     * @param onednnMaxCpuIsa the instruction set oneDNN is capped at in workers (ONEDNN_MAX_CPU_ISA), or null
     * @param ownModelOnednnMaxCpuIsa the same in workers that run a lab's own model
     */
    public record Engine(String djlVersion, String libtorchVersion, String flavor, String folder, String cudaVersion,
            boolean offline, boolean cudnnBenchmark, String error, ConvolutionCheck convolutionCheck,
            ConvolutionCheck anyChannelsCheck, String onednnMaxCpuIsa, String ownModelOnednnMaxCpuIsa) {}

    /**
     * A job holding a slot: {@code kind} training or evaluation; {@code id} is null for a job the caller may not read
     * (another owner's, with {@code robustlab.security.private-reads}).
     */
    public record Job(String kind, UUID id, String architecture) {}

    public record Cpu(int slots, List<Job> jobs) {}

    /**
     * @param index this instance's number of the GPU (a job's device gpuN names it)
     * @param pin the worker's CUDA_VISIBLE_DEVICES for it
     * @param name the card (from nvidia-smi; null without it)
     * @param memoryTotalMiB its memory (from nvidia-smi)
     * @param memoryUsedMiB memory in use on it by every process (from nvidia-smi)
     * @param jobs the jobs on it
     */
    public record Gpu(int index, String pin, String name, Long memoryTotalMiB, Long memoryUsedMiB, List<Job> jobs) {}

    /** Builds the view from the engine and the pool. */
    record Source(NativeEngine engine, DevicePool pool) {
        /** The view as a caller who may read the jobs of the owners {@code canRead} accepts sees it. */
        DevicesView view(Predicate<String> canRead) {
            EngineInfo i = engine.info();
            var s = engine.settings();
            Engine e = i == null
                    ? new Engine(null, null, s.flavor(), s.libraryPath(), null, s.offline(), s.cudnnBenchmark(), engine.loadError(),
                            null, null, s.onednnMaxCpuIsa(), engine.ownModelSettings().onednnMaxCpuIsa())
                    : new Engine(i.djlVersion(), i.libtorchVersion(), i.flavor(), i.folder(), i.cudaVersion(), s.offline(),
                            s.cudnnBenchmark(), null, engine.convolutionCheck(), engine.anyChannelsCheck(), s.onednnMaxCpuIsa(),
                            engine.ownModelSettings().onednnMaxCpuIsa());
            DevicePool.Occupancy o = pool.occupancy();
            List<Gpu> gpus = new ArrayList<>();
            for (NativeEngine.Gpu g : engine.gpus()) {
                List<DevicePool.Holder> on = g.index() < o.gpus().size() ? o.gpus().get(g.index()) : List.of();
                gpus.add(new Gpu(g.index(), g.pin(), g.name(), g.memoryTotalMiB(), g.memoryUsedMiB(), jobs(on, canRead)));
            }
            return new DevicesView(e, new Cpu(o.cpuSlots(), jobs(o.cpu(), canRead)), gpus);
        }

        private static List<Job> jobs(List<DevicePool.Holder> holders, Predicate<String> canRead) {
            return holders.stream().map(h -> new Job(h.kind(), canRead.test(h.owner()) ? h.id() : null, h.architecture())).toList();
        }
    }
}
