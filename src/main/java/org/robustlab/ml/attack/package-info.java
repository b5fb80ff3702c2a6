/**
 * White-box attacks on [0,1] images: FGSM and PGD in L-inf and L2, with random starts, restarts that
 * keep each example's worst case, and cross-entropy, CW-margin or KL objectives.
 */
package org.robustlab.ml.attack;
