/**
 * Network architectures (SmallCNN, ResNet-18, PreAct ResNet-18, WideResNet-34-10) built on DJL with
 * per-channel normalisation as the first layer, PyTorch's default initialisation, and export to
 * safetensors with PyTorch's state-dict names.
 */
package org.robustlab.ml.model;
