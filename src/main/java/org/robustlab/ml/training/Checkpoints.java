package org.robustlab.ml.training;

import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.robustlab.ml.model.Models;
import org.robustlab.ml.model.Safetensors;

/**
 * Checkpoint folders. Each holds the parameters in DJL's format ({@code model-0000.params}) and as
 * safetensors ({@code model.safetensors}), the SGD momentum buffers ({@code optimizer.bin}) and
 * {@code state.json} (epoch, steps, best-robust bookkeeping and the metric history). Random state
 * needs no file: every random draw of epoch e comes from generators seeded by (seed, e).
 *
 * <p>A folder is written beside its target and renamed into place, so a crash mid-write leaves the
 * previous checkpoint intact.
 */
public final class Checkpoints {

    public static final String MODEL_NAME = "model";
    public static final String DJL_FILE = "model-0000.params";
    public static final String SAFETENSORS_FILE = "model.safetensors";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create();

    private Checkpoints() {}

    /** The bookkeeping of a checkpoint. */
    public record State(int epochsCompleted, long steps, long seed, double bestRobustAccuracy, int bestEpoch,
            List<EpochMetrics> history) {}

    static void write(Path target, Model model, Sgd optimizer, State state, Map<String, String> metadata) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        deleteTree(tmp);
        Files.createDirectories(tmp);
        model.setProperty("Epoch", "0");
        model.save(tmp, MODEL_NAME);
        Safetensors.write(model.getBlock(), tmp.resolve(SAFETENSORS_FILE), metadata, state.steps());
        if (optimizer != null) {
            try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp.resolve("optimizer.bin"))))) {
                float[][] buffers = optimizer.state();
                out.writeInt(buffers.length);
                for (float[] b : buffers) {
                    out.writeInt(b.length);
                    for (float v : b) {
                        out.writeFloat(v);
                    }
                }
            }
        }
        Files.writeString(tmp.resolve("state.json"), GSON.toJson(state), StandardCharsets.UTF_8);
        Path old = target.resolveSibling(target.getFileName() + ".old");
        deleteTree(old);
        if (Files.exists(target)) {
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        deleteTree(old);
    }

    /** The checkpoint folder at {@code target}, or its predecessor if a crash hit between the two renames; null if none. */
    public static Path existing(Path target) {
        if (Files.isRegularFile(target.resolve("state.json"))) {
            return target;
        }
        Path old = target.resolveSibling(target.getFileName() + ".old");
        return Files.isRegularFile(old.resolve("state.json")) ? old : null;
    }

    public static State readState(Path dir) throws IOException {
        return GSON.fromJson(Files.readString(dir.resolve("state.json"), StandardCharsets.UTF_8), State.class);
    }

    /**
     * Loads the parameters of a checkpoint folder into {@code model}. DJL's loader replaces each
     * parameter's array without gradient tracking and keeps the old one alive, so the old arrays are
     * closed and tracking is switched back on for the trained ones.
     */
    public static void restoreParameters(Path dir, Model model) throws IOException {
        List<NDArray> old = new ArrayList<>();
        for (Parameter p : model.getBlock().getParameters().values()) {
            old.add(p.getArray());
        }
        try {
            model.load(dir, MODEL_NAME);
        } catch (MalformedModelException e) {
            throw new IOException(dir + ": malformed parameters: " + e.getMessage(), e);
        }
        for (Parameter p : model.getBlock().getParameters().values()) {
            if (Models.isTrainable(p)) {
                p.getArray().setRequiresGradient(true);
            }
        }
        old.forEach(NDArray::close);
    }

    /** Loads the SGD momentum buffers of a checkpoint folder. */
    static void restoreOptimizer(Path dir, Sgd optimizer) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(dir.resolve("optimizer.bin"))))) {
            float[][] buffers = new float[in.readInt()][];
            for (int i = 0; i < buffers.length; i++) {
                buffers[i] = new float[in.readInt()];
                for (int j = 0; j < buffers[i].length; j++) {
                    buffers[i][j] = in.readFloat();
                }
            }
            optimizer.loadState(buffers);
        }
    }

    /** Deletes a folder and everything in it (nothing if it does not exist). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
