/**
 * Losses of adversarial training: cross-entropy, KL (batchmean) and logit-L2 divergences, the CW
 * margin, and the regularised objective shared by ARR and TRADES.
 */
package org.robustlab.ml.loss;
