/**
 * NDArray helpers that every part of the engine shares: scalars made on the array's own device
 * ({@link org.robustlab.ml.nd.Scalars}), so that arithmetic with constants makes no host copy, and
 * the device check that keeps every array of a step on the model's device ({@link org.robustlab.ml.nd.Devices}).
 */
package org.robustlab.ml.nd;
