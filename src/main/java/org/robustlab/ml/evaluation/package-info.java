/**
 * Robustness evaluation: clean and robust accuracy per attack and epsilon, per-class accuracy and
 * the per-example worst case, each figure with its budget, test-point count, checkpoint and seed.
 */
package org.robustlab.ml.evaluation;
