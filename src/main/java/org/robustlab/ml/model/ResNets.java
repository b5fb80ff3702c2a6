package org.robustlab.ml.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The CIFAR residual networks, with the module names of the common PyTorch code:
 * ResNet-18 (He et al., 2016, CIFAR form: 3x3 stem, no max-pool; 11,173,962 parameters for 10
 * classes), PreAct ResNet-18 (He et al., 2016b) and WideResNet-34-10 (Zagoruyko and Komodakis, 2016,
 * in the layout of the TRADES and MART code, at depths 28, 34 and 70), and DeepMind's WideResNet with SiLU as
 * RobustBench defines it.
 */
final class ResNets {

    private ResNets() {}

    static Block resnet18(int numClasses) {
        NamedSequential net = new NamedSequential()
                .add("conv1", Layers.conv(64, 3, 1, 1, false))
                .add("bn1", Layers.batchNorm())
                .add("relu", Layers.relu());
        addStages(net, false);
        return net.add("pool", Layers.globalAvgPool()).add("linear", Layers.linear(numClasses));
    }

    static Block preActResnet18(int numClasses) {
        NamedSequential net = new NamedSequential().add("conv1", Layers.conv(64, 3, 1, 1, false));
        addStages(net, true);
        return net.add("bn", Layers.batchNorm()).add("relu", Layers.relu())
                .add("pool", Layers.globalAvgPool()).add("linear", Layers.linear(numClasses));
    }

    /** layer1..layer4 of ResNet-18: two basic blocks each, 64 to 512 channels, stride 2 from layer2 on. */
    private static void addStages(NamedSequential net, boolean preAct) {
        int in = 64;
        int[] widths = {64, 128, 256, 512};
        for (int l = 0; l < 4; l++) {
            NamedSequential layer = new NamedSequential();
            for (int b = 0; b < 2; b++) {
                int stride = (b == 0 && l > 0) ? 2 : 1;
                layer.add(Integer.toString(b), new BasicBlock(in, widths[l], stride, preAct));
                in = widths[l];
            }
            net.add("layer" + (l + 1), layer);
        }
    }

    static Block wideResnet(int depth, int widen, int numClasses) {
        int n = (depth - 4) / 6;
        int[] channels = {16, 16 * widen, 32 * widen, 64 * widen};
        NamedSequential net = new NamedSequential().add("conv1", Layers.conv(channels[0], 3, 1, 1, false));
        for (int g = 0; g < 3; g++) {
            NamedSequential layer = new NamedSequential();
            for (int i = 0; i < n; i++) {
                int in = i == 0 ? channels[g] : channels[g + 1];
                int stride = (i == 0 && g > 0) ? 2 : 1;
                layer.add(Integer.toString(i), new WideBlock(in, channels[g + 1], stride));
            }
            net.add("block" + (g + 1), new NamedSequential().add("layer", layer));
        }
        return net.add("bn1", Layers.batchNorm()).add("relu", Layers.relu())
                .add("pool", Layers.globalAvgPool()).add("fc", Layers.linear(numClasses));
    }

    /**
     * The WideResNet of DeepMind's adversarial-robustness code, as RobustBench defines it for most of its WRN-28-10 and
     * WRN-70-16 entries ({@code DMWideResNet} with Swish): {@code init_conv}, {@code layer.G.block.B} of
     * {@link DeepMindBlock}, {@code batchnorm}, SiLU, global average pooling and {@code logits}.
     */
    static Block deepMindWideResnet(int depth, int widen, int numClasses) {
        int n = (depth - 4) / 6;
        int[] channels = {16, 16 * widen, 32 * widen, 64 * widen};
        NamedSequential groups = new NamedSequential();
        for (int g = 0; g < 3; g++) {
            NamedSequential blocks = new NamedSequential();
            for (int i = 0; i < n; i++) {
                blocks.add(Integer.toString(i), new DeepMindBlock(i == 0 ? channels[g] : channels[g + 1], channels[g + 1],
                        i == 0 && g > 0 ? 2 : 1));
            }
            groups.add(Integer.toString(g), new NamedSequential().add("block", blocks));
        }
        return new NamedSequential().add("init_conv", Layers.conv(channels[0], 3, 1, 1, false)).add("layer", groups)
                .add("batchnorm", Layers.batchNorm()).add("relu", Layers.silu())
                .add("pool", Layers.globalAvgPool()).add("logits", Layers.linear(numClasses));
    }

    /**
     * DeepMind's WideResNet block: BN-SiLU, a 3x3 convolution on an input padded as TensorFlow's SAME pads (one on each
     * side at stride 1; none before and one after at stride 2), BN-SiLU, a 3x3 convolution; the shortcut is a 1x1
     * convolution of the activated input when the width changes, else the input itself.
     */
    static final class DeepMindBlock extends AbstractBlock {
        private final Block batchnorm0;
        private final Block conv0;
        private final Block batchnorm1;
        private final Block conv1;
        private final Block shortcut;
        private final Shape padding;

        DeepMindBlock(int in, int out, int stride) {
            super((byte) 1);
            batchnorm0 = addChildBlock("batchnorm_0", Layers.batchNorm());
            conv0 = addChildBlock("conv_0", Layers.conv(out, 3, stride, 0, false));
            batchnorm1 = addChildBlock("batchnorm_1", Layers.batchNorm());
            conv1 = addChildBlock("conv_1", Layers.conv(out, 3, 1, 1, false));
            shortcut = in == out ? null : addChildBlock("shortcut", Layers.conv(out, 1, stride, 0, false));
            // PyTorch's F.pad order: last dimension first (left, right, top, bottom)
            padding = stride == 1 ? new Shape(1, 1, 1, 1) : new Shape(0, 1, 0, 1);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray a = silu(batchnorm0.forward(ps, inputs, training, params).singletonOrThrow());
            NDArray h = conv0.forward(ps, new NDList(a.pad(padding, 0)), training, params).singletonOrThrow();
            h = silu(batchnorm1.forward(ps, new NDList(h), training, params).singletonOrThrow());
            h = conv1.forward(ps, new NDList(h), training, params).singletonOrThrow();
            NDArray sc = shortcut == null ? x : shortcut.forward(ps, new NDList(a), training, params).singletonOrThrow();
            return new NDList(sc.add(h));
        }

        private static NDArray silu(NDArray x) {
            return Activation.swish(x, 1f);
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            Shape in = inputShapes[0];
            Shape padded = new Shape(in.get(0), in.get(1), in.get(2) + padding.get(2) + padding.get(3),
                    in.get(3) + padding.get(0) + padding.get(1));
            return conv1.getOutputShapes(conv0.getOutputShapes(new Shape[] {padded}));
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape in = inputShapes[0];
            Shape padded = new Shape(in.get(0), in.get(1), in.get(2) + padding.get(2) + padding.get(3),
                    in.get(3) + padding.get(0) + padding.get(1));
            Shape[] inner = conv0.getOutputShapes(new Shape[] {padded});
            batchnorm0.initialize(manager, dataType, inputShapes);
            conv0.initialize(manager, dataType, padded);
            batchnorm1.initialize(manager, dataType, inner);
            conv1.initialize(manager, dataType, inner);
            if (shortcut != null) {
                shortcut.initialize(manager, dataType, inputShapes);
            }
        }
    }

    /** ResNet's basic block; in pre-activation form BN and ReLU come before each convolution. */
    static final class BasicBlock extends AbstractBlock {
        private final boolean preAct;
        private final Block conv1;
        private final Block bn1;
        private final Block conv2;
        private final Block bn2;
        private final Block shortcut;

        BasicBlock(int in, int out, int stride, boolean preAct) {
            super((byte) 1);
            this.preAct = preAct;
            if (preAct) {
                bn1 = addChildBlock("bn1", Layers.batchNorm());
                conv1 = addChildBlock("conv1", Layers.conv(out, 3, stride, 1, false));
                bn2 = addChildBlock("bn2", Layers.batchNorm());
                conv2 = addChildBlock("conv2", Layers.conv(out, 3, 1, 1, false));
            } else {
                conv1 = addChildBlock("conv1", Layers.conv(out, 3, stride, 1, false));
                bn1 = addChildBlock("bn1", Layers.batchNorm());
                conv2 = addChildBlock("conv2", Layers.conv(out, 3, 1, 1, false));
                bn2 = addChildBlock("bn2", Layers.batchNorm());
            }
            if (stride != 1 || in != out) {
                NamedSequential s = new NamedSequential().add("0", Layers.conv(out, 1, stride, 0, false));
                if (!preAct) {
                    s.add("1", Layers.batchNorm());
                }
                shortcut = addChildBlock("shortcut", s);
            } else {
                shortcut = null;
            }
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            if (preAct) {
                NDArray a = bn1.forward(ps, inputs, training, params).singletonOrThrow().getNDArrayInternal().relu();
                NDList aList = new NDList(a);
                NDArray sc = shortcut == null ? x : shortcut.forward(ps, aList, training, params).singletonOrThrow();
                NDArray h = conv1.forward(ps, aList, training, params).singletonOrThrow();
                h = bn2.forward(ps, new NDList(h), training, params).singletonOrThrow().getNDArrayInternal().relu();
                h = conv2.forward(ps, new NDList(h), training, params).singletonOrThrow();
                return new NDList(h.add(sc));
            }
            NDArray h = conv1.forward(ps, inputs, training, params).singletonOrThrow();
            h = bn1.forward(ps, new NDList(h), training, params).singletonOrThrow().getNDArrayInternal().relu();
            h = conv2.forward(ps, new NDList(h), training, params).singletonOrThrow();
            h = bn2.forward(ps, new NDList(h), training, params).singletonOrThrow();
            NDArray sc = shortcut == null ? x : shortcut.forward(ps, inputs, training, params).singletonOrThrow();
            return new NDList(h.add(sc).getNDArrayInternal().relu());
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return conv2.getOutputShapes(conv1.getOutputShapes(inputShapes));
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] inner = conv1.getOutputShapes(inputShapes);
            if (preAct) {
                bn1.initialize(manager, dataType, inputShapes);
                conv1.initialize(manager, dataType, inputShapes);
                bn2.initialize(manager, dataType, inner);
                conv2.initialize(manager, dataType, inner);
            } else {
                conv1.initialize(manager, dataType, inputShapes);
                bn1.initialize(manager, dataType, inner);
                conv2.initialize(manager, dataType, inner);
                bn2.initialize(manager, dataType, inner);
            }
            if (shortcut != null) {
                shortcut.initialize(manager, dataType, inputShapes);
            }
        }
    }

    /** The WideResNet block of the TRADES code: BN-ReLU-conv twice, 1x1 shortcut conv when shapes change. */
    static final class WideBlock extends AbstractBlock {
        private final Block bn1;
        private final Block conv1;
        private final Block bn2;
        private final Block conv2;
        private final Block convShortcut;
        private final boolean equalInOut;

        WideBlock(int in, int out, int stride) {
            super((byte) 1);
            equalInOut = in == out && stride == 1;
            bn1 = addChildBlock("bn1", Layers.batchNorm());
            conv1 = addChildBlock("conv1", Layers.conv(out, 3, stride, 1, false));
            bn2 = addChildBlock("bn2", Layers.batchNorm());
            conv2 = addChildBlock("conv2", Layers.conv(out, 3, 1, 1, false));
            convShortcut = equalInOut ? null : addChildBlock("convShortcut", Layers.conv(out, 1, stride, 0, false));
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray x = inputs.singletonOrThrow();
            NDArray a = bn1.forward(ps, inputs, training, params).singletonOrThrow().getNDArrayInternal().relu();
            NDList aList = new NDList(a);
            NDArray h = conv1.forward(ps, aList, training, params).singletonOrThrow();
            h = bn2.forward(ps, new NDList(h), training, params).singletonOrThrow().getNDArrayInternal().relu();
            h = conv2.forward(ps, new NDList(h), training, params).singletonOrThrow();
            NDArray sc = equalInOut ? x : convShortcut.forward(ps, aList, training, params).singletonOrThrow();
            return new NDList(h.add(sc));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return conv2.getOutputShapes(conv1.getOutputShapes(inputShapes));
        }

        @Override
        protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
            Shape[] inner = conv1.getOutputShapes(inputShapes);
            bn1.initialize(manager, dataType, inputShapes);
            conv1.initialize(manager, dataType, inputShapes);
            bn2.initialize(manager, dataType, inner);
            conv2.initialize(manager, dataType, inner);
            if (convShortcut != null) {
                convShortcut.initialize(manager, dataType, inputShapes);
            }
        }
    }
}
