"""A network RobustLab does not know, as a lab would bring it: its own layer names and shapes, BatchNorm and GELU, and
its normalisation inside (pixels in [0,1] in), saved as TorchScript with Debian's PyTorch; and the figures PyTorch
itself gives for it, for the tests to compare with RobustLab's.

Usage:
  torchscript_model.py make OUT.pt [--train-steps N] [--data DIR] [--script]
                                                                         a traced (or scripted) archive, trained N Adam
                                                                         steps on Fashion-MNIST when N > 0
  torchscript_model.py bad KIND OUT.pt                                   an archive the service must refuse: KIND is
                                                                         probabilities, no-gradient, wrong-shape, nan,
                                                                         slow or state-dict (torch.save, not TorchScript)
  torchscript_model.py check OUT.pt X.f32 N C H W                        logits and the input gradient of their sum
  torchscript_model.py eval OUT.pt --data DIR --points P --eps E [--random-start 0]
                                                                         clean accuracy and PGD-20 accuracy on the first
                                                                         P test images (step E/4, random start unless 0,
                                                                         seed 0)
Output: one JSON line.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LabNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("pixel_mean", torch.tensor([0.2860]).view(1, 1, 1, 1))
        self.register_buffer("pixel_std", torch.tensor([0.3530]).view(1, 1, 1, 1))
        self.entry = nn.Conv2d(1, 24, 5, padding=2)
        self.entry_bn = nn.BatchNorm2d(24)
        self.mid = nn.Conv2d(24, 48, 3, stride=2, padding=1)
        self.mid_bn = nn.BatchNorm2d(48)
        self.squeeze = nn.AdaptiveAvgPool2d(7)
        self.classifier = nn.Sequential(nn.Linear(48 * 49, 96), nn.GELU(), nn.Dropout(0.3), nn.Linear(96, 10))

    def forward(self, x):
        h = (x - self.pixel_mean) / self.pixel_std
        h = F.gelu(self.entry_bn(self.entry(h)))
        h = F.gelu(self.mid_bn(self.mid(h)))
        return self.classifier(self.squeeze(h).flatten(1))


class Probabilities(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = LabNet()

    def forward(self, x):
        return F.softmax(self.net(x), dim=1)


class Rounded(nn.Module):
    """Quantises its input to 8 bits first: the input gradient is zero everywhere."""

    def __init__(self):
        super().__init__()
        self.net = LabNet()

    def forward(self, x):
        return self.net(torch.round(x * 255) / 255)


class FiveClasses(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = LabNet()

    def forward(self, x):
        return self.net(x)[:, :5]


class NotFinite(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = LabNet()

    def forward(self, x):
        return self.net(x) / 0.0


class Slow(nn.Module):
    """A forward pass that takes hours."""

    def __init__(self):
        super().__init__()
        self.net = LabNet()

    def forward(self, x):
        h = x
        for _ in range(1000000000):
            h = h * 1.0
        return self.net(h)


def bad(kind, path):
    example = torch.rand(2, 1, 28, 28)
    if kind == "state-dict":
        torch.save(LabNet().state_dict(), path)
        return
    module = {"probabilities": Probabilities, "no-gradient": Rounded, "wrong-shape": FiveClasses, "nan": NotFinite,
              "slow": Slow}[kind]().eval()
    archive = torch.jit.script(module) if kind == "slow" else torch.jit.trace(module, example)
    archive.save(path)


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion(directory, train):
    prefix = "train" if train else "t10k"
    names = os.listdir(directory)
    images = next(n for n in names if n.startswith(prefix + "-images"))
    labels = next(n for n in names if n.startswith(prefix + "-labels"))
    x = torch.from_numpy(idx(os.path.join(directory, images)).astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(idx(os.path.join(directory, labels)).astype(np.int64))
    return x, y


def option(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def pgd(model, x, y, eps, steps=20, random_start=True):
    step = eps / 4
    x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1) if random_start else x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        loss = F.cross_entropy(model(x_adv), y)
        grad, = torch.autograd.grad(loss, x_adv)
        x_adv = x_adv.detach() + step * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv.detach()


def main():
    torch.manual_seed(0)
    command, path = sys.argv[1], sys.argv[2]
    if command == "bad":
        bad(sys.argv[2], sys.argv[3])
        print(json.dumps({"bad": sys.argv[2]}))
    elif command == "make":
        model = LabNet()
        steps = int(option("--train-steps", "0"))
        if steps > 0:
            x, y = fashion(option("--data", "/usr/share/datasets/fashion-mnist"), True)
            opt = torch.optim.Adam(model.parameters(), lr=2e-3)
            model.train()
            for i in range(steps):
                idx_ = torch.randint(0, 10000, (64,))
                xb, yb = x[idx_], y[idx_]
                # a little adversarial training, so that PGD leaves something to compare
                if i >= steps // 2:
                    model.eval()
                    xb = pgd(model, xb, yb, 0.1, steps=2)
                    model.train()
                opt.zero_grad()
                F.cross_entropy(model(xb), yb).backward()
                opt.step()
        model.eval()
        if "--script" in sys.argv:
            archive = torch.jit.script(model)
        else:
            archive = torch.jit.trace(model, torch.rand(2, 1, 28, 28))
        archive.save(path)
        print(json.dumps({"parameters": sum(p.numel() for p in model.parameters()), "torch": torch.__version__}))
    elif command == "check":
        n, c, h, w = (int(v) for v in sys.argv[4:8])
        model = torch.jit.load(path)
        model.eval()
        x = torch.from_numpy(np.fromfile(sys.argv[3], dtype=np.float32).reshape(n, c, h, w)).requires_grad_(True)
        out = model(x)
        out.sum().backward()
        print(json.dumps({"logits": out.detach().flatten().tolist(), "gradient": x.grad.flatten().tolist()}))
    elif command == "eval":
        model = torch.jit.load(path)
        model.eval()
        points = int(option("--points", "200"))
        eps = float(option("--eps", "0.1"))
        x, y = fashion(option("--data", "/usr/share/datasets/fashion-mnist"), False)
        x, y = x[:points], y[:points]
        with torch.no_grad():
            clean = model(x).argmax(1) == y
        x_adv = pgd(model, x, y, eps, random_start=option("--random-start", "1") == "1")
        with torch.no_grad():
            robust = model(x_adv).argmax(1) == y
            predictions = model(x).argmax(1).tolist()
        print(json.dumps({"clean": clean.float().mean().item(), "pgd20": (robust & clean).float().mean().item(),
                          "predictions": predictions}))


if __name__ == "__main__":
    main()
