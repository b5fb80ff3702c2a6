/**
 * Datasets as RobustLab reads them: CIFAR-10/100 in the official binary format, MNIST and
 * Fashion-MNIST in IDX, deterministic splits and subsets, and batches of [0,1] pixels with the
 * optional CIFAR augmentation. No Spring, no JPA: plain Java and DJL.
 */
package org.robustlab.ml.data;
