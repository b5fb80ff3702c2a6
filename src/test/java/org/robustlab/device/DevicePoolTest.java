package org.robustlab.device;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.robustlab.problem.InvalidRequestException;

/** Which slot a job gets: CPU slots, one GPU per job, small models sharing a GPU when configured. */
class DevicePoolTest {

    private static DevicePool.Holder job(String architecture) {
        return new DevicePool.Holder("training", UUID.randomUUID(), architecture, "alice");
    }

    @Test
    void withoutGpusAutoMeansCpuAndGpuIsRefused() throws Exception {
        DevicePool pool = new DevicePool(2, List.of(), 1, Set.of("small-cnn"));
        assertThat(pool.size()).isEqualTo(2);
        DevicePool.Slot slot = pool.acquire(DevicePool.Request.AUTO, job("resnet18"));
        assertThat(slot.isGpu()).isFalse();
        assertThat(slot.workerDevice()).isEqualTo("cpu");
        assertThat(slot.label()).isEqualTo("cpu");
        assertThat(slot.environment()).containsEntry("CUDA_VISIBLE_DEVICES", "");
        assertThatThrownBy(() -> pool.acquire(DevicePool.Request.GPU, job("resnet18")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no GPU");
        assertThatThrownBy(() -> pool.checkRequest("gpu")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> pool.checkRequest("tpu")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("[auto, cpu, gpu]");
        pool.checkRequest(null);
        pool.checkRequest("CPU");
    }

    @Test
    void eachGpuIsPinnedAndHeldByOneJobUnlessSmallModelsShare() throws Exception {
        DevicePool pool = new DevicePool(1, List.of("3", "5"), 2, Set.of("small-cnn"));
        assertThat(pool.size()).isEqualTo(1 + 2 * 2);
        DevicePool.Holder small1 = job("small-cnn");
        DevicePool.Holder small2 = job("small-cnn");
        DevicePool.Holder big = job("resnet18");
        DevicePool.Slot a = pool.acquire(DevicePool.Request.AUTO, small1);
        DevicePool.Slot b = pool.acquire(DevicePool.Request.GPU, small2);
        assertThat(a.gpu()).isEqualTo(0);
        assertThat(b.gpu()).as("the second small job joins the first on its GPU").isEqualTo(0);
        assertThat(a.environment()).containsEntry("CUDA_VISIBLE_DEVICES", "3");
        assertThat(a.workerDevice()).isEqualTo("gpu0");
        DevicePool.Slot c = pool.acquire(DevicePool.Request.AUTO, big);
        assertThat(c.gpu()).as("a big model takes the idle GPU").isEqualTo(1);
        assertThat(c.label()).isEqualTo("gpu1");
        assertThat(c.environment()).isEqualTo(Map.of("CUDA_VISIBLE_DEVICES", "5"));
        DevicePool.Slot cpu = pool.acquire(DevicePool.Request.CPU, job("resnet18"));
        assertThat(cpu.isGpu()).isFalse();
        assertThat(pool.occupancy().gpus().get(0)).containsExactly(small1, small2);
        assertThat(pool.occupancy().gpus().get(1)).containsExactly(big);

        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            // a third small job: GPU 0 is full (2 of 2), GPU 1 holds a big model: it waits
            DevicePool.Holder small3 = job("small-cnn");
            CompletableFuture<DevicePool.Slot> waiting = CompletableFuture.supplyAsync(() -> acquire(pool, small3), threads);
            DevicePool.Holder big2 = job("resnet18");
            CompletableFuture<DevicePool.Slot> waitingBig = CompletableFuture.supplyAsync(() -> acquire(pool, big2), threads);
            Thread.sleep(300);
            assertThat(waiting).isNotDone();
            assertThat(waitingBig).isNotDone();
            pool.release(a, small1);
            assertThat(waiting.get(30, TimeUnit.SECONDS).gpu()).as("the freed place on GPU 0").isEqualTo(0);
            assertThat(waitingBig).as("GPU 0 still holds small jobs").isNotDone();
            pool.release(c, big);
            assertThat(waitingBig.get(30, TimeUnit.SECONDS).gpu()).isEqualTo(1);
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void withoutSharingEveryJobHasItsGpuToItself() throws Exception {
        DevicePool pool = new DevicePool(1, List.of("0"), 1, Set.of("small-cnn"));
        DevicePool.Holder first = job("small-cnn");
        DevicePool.Slot slot = pool.acquire(DevicePool.Request.AUTO, first);
        CompletableFuture<DevicePool.Slot> second = CompletableFuture.supplyAsync(() -> acquire(pool, job("small-cnn")));
        Thread.sleep(300);
        assertThat(second).isNotDone();
        pool.release(slot, first);
        assertThat(second.get(30, TimeUnit.SECONDS).gpu()).isZero();
    }

    @Test
    void gpusArePinnedByTheServicesOwnVisibleDevicesAndNamedByNvidiaSmi() {
        assertThat(NativeEngine.pins(2, null)).containsExactly("0", "1");
        assertThat(NativeEngine.pins(2, "4,6")).containsExactly("4", "6");
        assertThat(NativeEngine.pins(1, "GPU-ab12, GPU-cd34")).containsExactly("GPU-ab12");
        assertThat(NativeEngine.pins(2, "7")).as("fewer entries than GPUs: the list is not trusted").containsExactly("0", "1");
        String smi = """
                4, GPU-aaaa, NVIDIA H100 80GB HBM3, 81559, 1024
                6, GPU-bbbb, NVIDIA H100 80GB HBM3, 81559, [N/A]
                """;
        List<NativeEngine.Gpu> gpus = NativeEngine.match(List.of("4", "GPU-bbbb", "9"), smi);
        assertThat(gpus.get(0)).isEqualTo(new NativeEngine.Gpu(0, "4", "NVIDIA H100 80GB HBM3", 81559L, 1024L));
        assertThat(gpus.get(1)).isEqualTo(new NativeEngine.Gpu(1, "GPU-bbbb", "NVIDIA H100 80GB HBM3", null, null));
        assertThat(gpus.get(2)).isEqualTo(new NativeEngine.Gpu(2, "9", null, null, null));
    }

    private static DevicePool.Slot acquire(DevicePool pool, DevicePool.Holder holder) {
        try {
            return pool.acquire(DevicePool.Request.AUTO, holder);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

}
