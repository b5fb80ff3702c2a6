package org.robustlab.execution;

/**
 * Striped locks by resource id, for changes that must take turns on this instance (twenty concurrent cancels of
 * one job, say): they wait for each other instead of failing on each other's writes. Across instances the rows'
 * versions decide.
 */
public final class Locks {

    private static final Object[] STRIPES = new Object[64];

    static {
        for (int i = 0; i < STRIPES.length; i++) {
            STRIPES[i] = new Object();
        }
    }

    private Locks() {}

    /** The lock of {@code id}, shared by all ids of its stripe. */
    public static Object forId(Object id) {
        return STRIPES[Math.floorMod(id.hashCode(), STRIPES.length)];
    }
}
