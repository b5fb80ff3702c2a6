package org.robustlab.ml.model;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * A sequential block whose children carry the names PyTorch gives them ({@code conv1},
 * {@code shortcut.0}, ...), so that the state-dict names of {@link StateDict} follow from the tree.
 */
public class NamedSequential extends AbstractBlock {

    public NamedSequential() {
        super((byte) 1);
    }

    /** Adds a child under {@code name}; returns this block for chaining. */
    public NamedSequential add(String name, Block block) {
        addChildBlock(name, block);
        return this;
    }

    /** The child of {@code parent} that was added as {@code name} (DJL prefixes each child's name with its index). */
    public static Block child(Block parent, String name) {
        for (var e : parent.getChildren()) {
            if (e.getKey().replaceFirst("^\\d+", "").equals(name)) {
                return e.getValue();
            }
        }
        throw new IllegalArgumentException("no child block '" + name + "' in " + parent.getChildren().keys());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList current = inputs;
        for (Block child : children.values()) {
            current = child.forward(ps, current, training, params);
        }
        return current;
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape[] current = inputShapes;
        for (Block child : children.values()) {
            current = child.getOutputShapes(current);
        }
        return current;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape[] current = inputShapes;
        for (Block child : children.values()) {
            child.initialize(manager, dataType, current);
            current = child.getOutputShapes(current);
        }
    }
}
