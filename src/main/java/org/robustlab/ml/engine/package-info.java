/**
 * Which native PyTorch library the engine runs on: the settings that choose it (folder, version,
 * flavour, offline, cuDNN benchmark mode), applied to this JVM before the engine loads and passed to
 * every worker JVM, and what was actually loaded (libtorch's version, flavour and folder, the GPUs).
 */
package org.robustlab.ml.engine;
