"""A checkpoint as RobustBench and the TRADES, MART and AWP code save them, for tests of RobustLab's upload.

Builds ARCH (wrn-28-10, wrn-34-10, wrn-70-16, dm-wrn-28-10, dm-wrn-70-16, resnet18, preact-resnet18) in PyTorch with the
reference code's module names, gives it random weights and BatchNorm statistics (seeded), and writes to OUT_DIR:
  model.safetensors   its state dict with every name behind PREFIX (default 'module.', as nn.DataParallel saves it) and,
                      for a WideResNet, the TRADES code's unused sub_block1; no normalisation (it takes [0,1] pixels)
                      except DeepMind's WideResNet, which normalises inside with CIFAR-10's mean and std
  broken.safetensors  the same with fc.weight (linear.weight) renamed, one convolution left out and one reshaped
  x.f32, logits.f32   N random [0,1] images (N, 3, 32, 32) and the model's logits for them, in eval mode
  gradient.f32        the gradient of the logits' sum with respect to the images

Usage: robustbench_checkpoint.py ARCH OUT_DIR [--n 4] [--prefix module.] [--seed 0]
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("arch")
parser.add_argument("out")
parser.add_argument("--n", type=int, default=4)
parser.add_argument("--prefix", default="module.")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)

if args.arch.startswith("dm-wrn-"):
    model = torch_models.build(args.arch, (0.4914, 0.4822, 0.4465), (0.2471, 0.2435, 0.2616), 10)
    last = "logits.weight"
elif args.arch.startswith("wrn-"):
    depth, widen = {"wrn-28-10": (28, 10), "wrn-34-10": (34, 10), "wrn-70-16": (70, 16)}[args.arch]
    model = torch_models.WideResNet(depth, widen, 10, sub_block1=True)
    last = "fc.weight"
else:
    model = torch_models.build(args.arch, [0.0] * 3, [1.0] * 3, 10)
    del model.normalize
    model.normalize = torch.nn.Identity()
    last = "linear.weight"
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.num_batches_tracked.fill_(1000)
model.eval()
x = torch.rand(args.n, 3, 32, 32)
x_grad = x.clone().requires_grad_(True)
logits = model(x_grad)
logits.sum().backward()
logits = logits.detach()
state = {args.prefix + k: v for k, v in model.state_dict().items()}
os.makedirs(args.out, exist_ok=True)
torch_models.save_safetensors(state, os.path.join(args.out, "model.safetensors"))
broken = dict(state)
broken[args.prefix + "classifier.weight"] = broken.pop(args.prefix + last)
convs = [k for k in broken if k.endswith(("conv1.weight", "conv_0.weight")) and "layer" in k]
del broken[convs[0]]
broken[convs[1]] = broken[convs[1]].reshape(broken[convs[1]].shape[0], -1)
torch_models.save_safetensors(broken, os.path.join(args.out, "broken.safetensors"))
x.numpy().astype("<f4").tofile(os.path.join(args.out, "x.f32"))
logits.numpy().astype("<f4").tofile(os.path.join(args.out, "logits.f32"))
x_grad.grad.numpy().astype("<f4").tofile(os.path.join(args.out, "gradient.f32"))
print({"arch": args.arch, "tensors": len(state), "max_abs_logit": float(logits.abs().max()), "removed": convs[0],
       "reshaped": convs[1]})
