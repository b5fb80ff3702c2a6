package org.robustlab.ml.model;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header of
 * dtype, shape and data offsets per tensor, then the raw little-endian data) with the names and
 * layout of {@link StateDict}, so that {@code model.load_state_dict(...)} in PyTorch takes the file.
 */
public final class Safetensors {

    /**
     * The largest header read: WideResNet-70-16's, the biggest architecture here, is about 60 KB; a larger one is
     * refused before it is parsed.
     */
    public static final long MAX_HEADER = 1L << 20;
    /** The most tensors a file may hold (WideResNet-70-16 has about 460, with the TRADES code's sub_block1 about 650). */
    public static final int MAX_TENSORS = 4096;

    private Safetensors() {}

    /** Writes the state dict of {@code block} to {@code file}, with {@code metadata} in {@code __metadata__}. */
    public static void write(Block block, Path file, Map<String, String> metadata, long batchesTracked) throws IOException {
        Map<String, StateDict.Entry> entries = new TreeMap<>(StateDict.entries(block, batchesTracked));
        JsonObject header = new JsonObject();
        if (metadata != null && !metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add("__metadata__", meta);
        }
        long offset = 0;
        for (StateDict.Entry e : entries.values()) {
            long bytes = e.isInt64() ? 8 : 4 * elements(e.shape());
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.isInt64() ? "I64" : "F32");
            t.add("shape", new Gson().toJsonTree(e.shape()));
            t.add("data_offsets", new Gson().toJsonTree(new long[] {offset, offset + bytes}));
            header.add(e.name(), t);
            offset += bytes;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        byte[] padded = Arrays.copyOf(json, json.length + pad);
        Arrays.fill(padded, json.length, padded.length, (byte) ' ');
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded.length).array());
            out.write(padded);
            for (StateDict.Entry e : entries.values()) {
                if (e.isInt64()) {
                    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(e.int64Value()).array());
                    continue;
                }
                float[] values = e.parameter() != null ? e.parameter().getArray().toFloatArray() : e.constant();
                ByteBuffer buf = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buf.asFloatBuffer().put(values);
                out.write(buf.array());
            }
        }
    }

    /** A tensor read from a safetensors file. */
    public record Tensor(String dtype, long[] shape, ByteBuffer data) {
        public float[] floats() {
            float[] out = new float[(int) elements(shape)];
            data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    /** Reads all tensors of a file; a malformed file gets an {@link IllegalArgumentException} that says what is wrong. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new IllegalArgumentException(file.getFileName() + ": not a safetensors file: " + size + " bytes");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen > MAX_HEADER && headerLen <= size - 8) {
                throw new IllegalArgumentException(file.getFileName() + ": the header of " + headerLen + " bytes is over the limit of "
                        + MAX_HEADER + " bytes (a model of this service needs about 30,000)");
            }
            if (headerLen <= 0 || headerLen > size - 8) {
                throw new IllegalArgumentException(file.getFileName() + ": not a safetensors file: header length "
                        + headerLen + " does not fit a file of " + size + " bytes");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            JsonObject header;
            try {
                header = new Gson().fromJson(new String(headerBuf.array(), StandardCharsets.UTF_8), JsonObject.class);
            } catch (JsonParseException e) {
                throw new IllegalArgumentException(file.getFileName() + ": the safetensors header is not valid JSON");
            }
            if (header == null) {
                throw new IllegalArgumentException(file.getFileName() + ": the safetensors header is empty");
            }
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            int count = header.size() - (header.has("__metadata__") ? 1 : 0);
            if (count > MAX_TENSORS) {
                throw new IllegalArgumentException(file.getFileName() + ": " + count + " tensors; at most " + MAX_TENSORS
                        + " are accepted");
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            TreeMap<Long, long[]> ranges = new TreeMap<>();
            for (Map.Entry<String, JsonElement> e : header.entrySet()) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                String name = clip(e.getKey());
                long[] offsets;
                String dtype;
                long[] shape;
                try {
                    JsonObject t = e.getValue().getAsJsonObject();
                    dtype = t.get("dtype").getAsString();
                    shape = new Gson().fromJson(t.get("shape"), long[].class);
                    offsets = new Gson().fromJson(t.get("data_offsets"), long[].class);
                    if (shape == null || offsets == null) {
                        throw new IllegalStateException("missing shape or data_offsets");
                    }
                } catch (RuntimeException ex) {
                    throw new IllegalArgumentException(file.getFileName() + ": tensor '" + name + "' has a malformed header entry"
                            + " (it needs a string dtype, a list shape and two data_offsets)");
                }
                int width = switch (dtype) {
                    case "F32", "I32" -> 4;
                    case "F64", "I64" -> 8;
                    case "F16", "BF16" -> 2;
                    default -> throw new IllegalArgumentException(file.getFileName() + ": tensor '" + name + "': dtype '"
                            + clip(dtype) + "' is not supported");
                };
                long elements = elements(shape);
                if (offsets.length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataSize
                        || elements > Integer.MAX_VALUE / 8 || offsets[1] - offsets[0] != width * elements) {
                    throw new IllegalArgumentException(file.getFileName() + ": tensor '" + name + "': data offsets "
                            + clip(Arrays.toString(offsets)) + " do not match shape " + clip(Arrays.toString(shape)) + " of " + dtype
                            + " within " + dataSize + " data bytes");
                }
                if (offsets[1] > offsets[0]) {
                    var before = ranges.floorEntry(offsets[0]);
                    var after = ranges.ceilingEntry(offsets[0]);
                    if (before != null && before.getValue()[1] > offsets[0] || after != null && after.getKey() < offsets[1]) {
                        throw new IllegalArgumentException(file.getFileName() + ": tensor '" + name + "': data offsets "
                                + Arrays.toString(offsets) + " overlap another tensor's");
                    }
                    ranges.put(offsets[0], offsets);
                }
                ByteBuffer data = ByteBuffer.allocate((int) (offsets[1] - offsets[0]));
                readFully(ch, data, dataStart + offsets[0]);
                tensors.put(e.getKey(), new Tensor(dtype, shape, data.flip()));
            }
            return tensors;
        }
    }

    /** Reads {@code __metadata__} of a file (empty if none). */
    public static Map<String, String> metadata(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            ByteBuffer lenBuf = ByteBuffer.wrap(in.readNBytes(8)).order(ByteOrder.LITTLE_ENDIAN);
            long len = lenBuf.getLong();
            JsonObject header = new Gson().fromJson(new String(in.readNBytes((int) Math.min(len, MAX_HEADER)), StandardCharsets.UTF_8), JsonObject.class);
            Map<String, String> out = new LinkedHashMap<>();
            if (header != null && header.has("__metadata__")) {
                header.getAsJsonObject("__metadata__").entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
            }
            return out;
        }
    }

    /**
     * Prefixes that wrappers put in front of every name: {@code nn.DataParallel} ({@code module.}) and the common
     * {@code model.} attribute of a wrapping module.
     */
    static final List<String> WRAPPER_PREFIXES = List.of("module.", "model.");
    /** The TRADES and MART WideResNet's second first group, built but never used in its forward pass. */
    static final String UNUSED_SUB_BLOCK = "sub_block1.";
    private static final int LISTED = 8;

    /**
     * Loads the parameters of {@code block} from {@code file}. Every parameter must be present with its exact shape and as
     * F32. The names of RobustBench's and the TRADES, MART and AWP reference code are taken as they are: a wrapper's
     * {@code module.} or {@code model.} prefix is dropped, as are the TRADES WideResNet's unused {@code sub_block1.*} and
     * PyTorch's {@code num_batches_tracked}; {@code normalize.mean} and {@code normalize.std}, when present, must be the
     * block's. Anything else that does not match is an error that lists every missing, extra, misshapen or non-F32
     * tensor, and in that case the block is left unchanged.
     *
     * @return what was done to the file's names to match the architecture (empty when they matched as they were)
     */
    public static List<String> load(Block block, Path file) throws IOException {
        Map<String, Tensor> read = read(file);
        Map<String, Parameter> params = StateDict.parameters(block);
        List<String> adjustments = new ArrayList<>();
        Map<String, Tensor> tensors = canonical(read, params.keySet(), adjustments);
        List<String> missing = new ArrayList<>();
        List<String> misshapen = new ArrayList<>();
        List<String> notF32 = new ArrayList<>();
        for (var e : params.entrySet()) {
            Tensor t = tensors.get(e.getKey());
            long[] expected = e.getValue().getArray().getShape().getShape();
            if (t == null) {
                missing.add(e.getKey() + " " + Arrays.toString(expected));
            } else if (!Arrays.equals(expected, t.shape())) {
                misshapen.add(e.getKey() + " is " + Arrays.toString(t.shape()) + ", needs " + Arrays.toString(expected));
            } else if (!t.dtype().equals("F32")) {
                notF32.add(e.getKey() + " (" + t.dtype() + ")");
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String name : tensors.keySet()) {
            if (!params.containsKey(name) && !name.endsWith("num_batches_tracked")
                    && !name.equals("normalize.mean") && !name.equals("normalize.std")) {
                unexpected.add(clip(name));
            }
        }
        if (!missing.isEmpty() || !misshapen.isEmpty() || !notF32.isEmpty() || !unexpected.isEmpty()) {
            List<String> parts = new ArrayList<>();
            listed(parts, "missing", missing);
            listed(parts, "unexpected", unexpected);
            listed(parts, "with the wrong shape", misshapen);
            listed(parts, "not F32 (convert with .float())", notF32);
            throw new IllegalArgumentException(file.getFileName() + " does not match the architecture (" + params.size()
                    + " tensors" + (adjustments.isEmpty() ? "" : "; " + String.join("; ", adjustments)) + "): "
                    + String.join("; ", parts) + layoutHint(tensors.keySet(), params.keySet()));
        }
        for (var e : params.entrySet()) {
            float[] values = tensors.get(e.getKey()).floats();
            for (int i = 0; i < values.length; i++) {
                if (!Float.isFinite(values[i])) {
                    throw new IllegalArgumentException(file.getFileName() + ": tensor '" + e.getKey() + "' holds " + values[i]
                            + " at index " + i + "; a model's weights must be finite numbers");
                }
            }
        }
        Normalize normalize = findNormalize(block);
        if (normalize != null) {
            for (String stat : new String[] {"mean", "std"}) {
                Tensor t = tensors.get("normalize." + stat);
                float[] expected = stat.equals("mean") ? normalize.mean() : normalize.std();
                if (t != null && !closeTo(t.floats(), expected)) {
                    throw new IllegalArgumentException(file.getFileName() + ": normalize." + stat + " is " + Arrays.toString(t.floats())
                            + " but the model is to normalise with " + Arrays.toString(expected)
                            + "; was it trained on another dataset? (give mean and std with the upload to say how it normalises)");
                }
            }
        }
        for (var e : params.entrySet()) {
            StateDict.assign(e.getValue(), tensors.get(e.getKey()).floats());
        }
        return adjustments;
    }

    /**
     * The file's tensors under the names of the architecture: wrapper prefixes dropped where every name has one, the
     * unused {@code sub_block1.*} left out where the architecture has no such module. What was done goes to
     * {@code adjustments}.
     */
    private static Map<String, Tensor> canonical(Map<String, Tensor> tensors, Set<String> expected, List<String> adjustments) {
        Map<String, Tensor> out = tensors;
        boolean stripped = true;
        while (stripped && !out.isEmpty()) {
            stripped = false;
            for (String prefix : WRAPPER_PREFIXES) {
                Map<String, Tensor> current = out;
                boolean architectureHasIt = expected.stream().anyMatch(n -> n.startsWith(prefix));
                if (!architectureHasIt && current.keySet().stream().allMatch(n -> n.startsWith(prefix))) {
                    Map<String, Tensor> next = new LinkedHashMap<>();
                    current.forEach((n, t) -> next.put(n.substring(prefix.length()), t));
                    adjustments.add("dropped the prefix '" + prefix + "'");
                    out = next;
                    stripped = true;
                }
            }
        }
        if (expected.stream().noneMatch(n -> n.startsWith(UNUSED_SUB_BLOCK)) && out.keySet().stream().anyMatch(n -> n.startsWith(UNUSED_SUB_BLOCK))) {
            Map<String, Tensor> next = new LinkedHashMap<>(out);
            next.keySet().removeIf(n -> n.startsWith(UNUSED_SUB_BLOCK));
            adjustments.add("left out " + (out.size() - next.size()) + " tensors of the unused " + UNUSED_SUB_BLOCK + "*");
            out = next;
        }
        return out;
    }

    /** What the file's names look like when they are another WideResNet layout's, or an empty string. */
    private static String layoutHint(Set<String> names, Set<String> expected) {
        if (names.contains("init_conv.weight") && !expected.contains("init_conv.weight")) {
            return ". Its names (init_conv, layer.0.block.0.batchnorm_0, logits) are those of DeepMind's WideResNet, which"
                    + " RobustBench uses for most WRN-28-10 and WRN-70-16 entries: upload it as dm-wrn-28-10 or dm-wrn-70-16";
        }
        if (names.contains("block1.layer.0.conv1.weight") && !expected.contains("block1.layer.0.conv1.weight")) {
            return ". Its names (block1.layer.0.conv1, convShortcut, fc) are those of the TRADES and RobustBench WideResNet:"
                    + " upload it as wrn-28-10, wrn-34-10 or wrn-70-16";
        }
        return "";
    }

    private static void listed(List<String> parts, String what, List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        String shown = String.join(", ", names.subList(0, Math.min(LISTED, names.size())));
        parts.add(names.size() + " " + what + ": " + shown + (names.size() > LISTED ? ", ... (" + (names.size() - LISTED) + " more)" : ""));
    }

    private static Normalize findNormalize(Block block) {
        if (block instanceof Normalize n) {
            return n;
        }
        for (var child : block.getChildren().values()) {
            Normalize n = findNormalize(child);
            if (n != null) {
                return n;
            }
        }
        return null;
    }

    private static boolean closeTo(float[] a, float[] b) {
        if (a.length != b.length) {
            return false;
        }
        for (int i = 0; i < a.length; i++) {
            if (Math.abs(a[i] - b[i]) > 1e-5f) {
                return false;
            }
        }
        return true;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + clip(Arrays.toString(shape)));
            }
            n = d == 0 || n <= Long.MAX_VALUE / d ? n * d : Long.MAX_VALUE;
        }
        return n;
    }

    private static String clip(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "... (" + s.length() + " characters)";
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IllegalArgumentException("truncated safetensors file");
            }
            pos += n;
        }
    }
}
