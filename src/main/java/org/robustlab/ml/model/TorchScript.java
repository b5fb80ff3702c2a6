package org.robustlab.ml.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Models a lab trained elsewhere, as TorchScript archives ({@code torch.jit.save} of a traced or scripted module): any
 * architecture, with its own layer names, its own normalisation or none. The archive is loaded by DJL's PyTorch engine
 * with its parameters as ordinary tensors ({@code trainParam}), so that attacks take input gradients through it.
 *
 * <p>The module always runs in eval mode (BatchNorm's running statistics, no dropout) and with autograd on, whatever the
 * caller's {@code training} flag says: DJL's own forward of a symbol block in inference mode switches autograd off, and
 * attacks need gradients of an eval-mode model. The graph executor's optimiser is switched off: in libtorch 2.7.1 its
 * profiling runs gave input gradients that differ from PyTorch's by up to 1e-2 on a traced module with BatchNorm and GELU,
 * while the unoptimised executor gives PyTorch's exactly (checked in {@code TorchScriptTest}).
 *
 * <p>Pixels stay in [0,1]: a module that normalises inside takes them as they are; otherwise {@code mean} and {@code std}
 * put a {@link Normalize} in front.
 */
public final class TorchScript {

    private TorchScript() {}

    /** A loaded archive: the model to close, and the block to run (the archive, behind any normalisation). */
    public record Loaded(Model model, Block block) implements AutoCloseable {
        @Override
        public void close() {
            model.close();
        }
    }

    /**
     * What the archive's zip says of itself, read before libtorch sees it.
     *
     * @param formatVersion the TorchScript file-format version it records (PyTorch does not record its own version in a
     *     TorchScript archive)
     * @param entries the number of entries in its zip
     */
    public record Archive(String formatVersion, int entries) {}

    /**
     * Reads {@code file} as a zip and checks that it is TorchScript: code and data. A {@code torch.save} file has the data
     * and no code, and gets its own message.
     */
    public static Archive archive(Path file) throws MalformedModelException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            boolean data = false;
            boolean code = false;
            String version = null;
            int entries = 0;
            for (var e = zip.entries(); e.hasMoreElements(); ) {
                ZipEntry entry = e.nextElement();
                entries++;
                String name = entry.getName();
                int slash = name.indexOf('/');
                String inside = slash < 0 ? name : name.substring(slash + 1);
                data |= inside.equals("data.pkl");
                code |= inside.startsWith("code/");
                if ((inside.equals("version") || inside.equals(".data/version")) && entry.getSize() < 64) {
                    version = new String(zip.getInputStream(entry).readNBytes(64), StandardCharsets.US_ASCII).strip();
                }
            }
            if (!data) {
                throw new MalformedModelException("it is a zip but not a PyTorch archive (no data.pkl)");
            }
            if (!code) {
                throw new MalformedModelException("it is a torch.save file (a pickled state dict or module), not TorchScript:"
                        + " save it with torch.jit.save(torch.jit.trace(model.eval(), example_batch), path), or upload its state"
                        + " dict as safetensors for a built-in architecture");
            }
            return new Archive(version, entries);
        } catch (ZipException e) {
            throw new MalformedModelException("it is not a TorchScript archive (not a zip file: " + e.getMessage() + ")");
        } catch (IOException e) {
            throw new MalformedModelException("it cannot be read as a zip: " + e.getMessage());
        }
    }

    /**
     * Loads {@code archive} on {@code device}; {@code mean} and {@code std} (one value per channel, or null for a module
     * that takes [0,1] pixels) become a {@link Normalize} in front of it. Throws {@link MalformedModelException} for a file
     * libtorch cannot load.
     */
    public static Loaded load(Path archive, Device device, float[] mean, float[] std, int channels) throws IOException,
            MalformedModelException {
        archive(archive);
        Model model = Model.newInstance("torchscript", device, "PyTorch");
        try {
            model.load(archive, null, Map.of("trainParam", "true"));
            EvalMode net = new EvalMode((PtSymbolBlock) model.getBlock());
            NamedSequential block = new NamedSequential();
            if (mean != null) {
                block.add("normalize", new Normalize(mean, std));
            }
            block.add("net", net);
            NDManager manager = model.getNDManager();
            if (mean != null) {
                NamedSequential.child(block, "normalize").initialize(manager, DataType.FLOAT32, new Shape(1, channels, 1, 1));
            }
            return new Loaded(model, block);
        } catch (EngineException e) {
            model.close();
            throw new MalformedModelException("libtorch cannot load it as TorchScript: " + e.getMessage(), e);
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** A TorchScript module run in eval mode with autograd on (see the class comment). */
    static final class EvalMode extends AbstractBlock {

        private final PtSymbolBlock module;
        private volatile boolean evalSet;

        EvalMode(PtSymbolBlock module) {
            super((byte) 1);
            this.module = addChildBlock("module", module);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            if (!evalSet) {
                JniUtils.enableInferenceMode(module);
                evalSet = true;
            }
            // the graph as saved, not the profiling executor's re-optimised one (which changes after its first runs);
            // libtorch keeps this setting per thread, so it is set on the thread that runs the module
            JniUtils.setGraphExecutorOptimize(false);
            return IValueUtils.forward(module, inputs, true);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return module.getOutputShapes(inputShapes);
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            // the archive's parameters come loaded
        }
    }
}
