"""PyTorch definitions of RobustLab's architectures, with the same module names as the Java side.

A safetensors file exported by RobustLab loads into these with load_state_dict(strict=True).
Used by the benchmark (PyTorch eager comparison) and by the export round-trip test.
"""
import json
import struct
from collections import OrderedDict

import torch
import torch.nn as nn
import torch.nn.functional as F


class Normalize(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        c = len(mean)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, c, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, c, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class SmallCNN(nn.Module):
    """The TRADES small CNN for MNIST."""

    def __init__(self, mean, std, num_classes=10):
        super().__init__()
        self.normalize = Normalize(mean, std)
        self.feature_extractor = nn.Sequential(OrderedDict([
            ("conv1", nn.Conv2d(1, 32, 3)), ("relu1", nn.ReLU()),
            ("conv2", nn.Conv2d(32, 32, 3)), ("relu2", nn.ReLU()),
            ("maxpool1", nn.MaxPool2d(2, 2)),
            ("conv3", nn.Conv2d(32, 64, 3)), ("relu3", nn.ReLU()),
            ("conv4", nn.Conv2d(64, 64, 3)), ("relu4", nn.ReLU()),
            ("maxpool2", nn.MaxPool2d(2, 2)),
        ]))
        self.classifier = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(64 * 4 * 4, 200)), ("relu1", nn.ReLU()),
            ("drop", nn.Dropout(0.5)),
            ("fc2", nn.Linear(200, 200)), ("relu2", nn.ReLU()),
            ("fc3", nn.Linear(200, num_classes)),
        ]))
        # the TRADES code's initialisation (models/small_cnn.py), as RobustLab's SmallCnn does
        for m in self.feature_extractor:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight)
                nn.init.constant_(m.bias, 0)
        nn.init.constant_(self.classifier.fc3.weight, 0)
        nn.init.constant_(self.classifier.fc3.bias, 0)

    def forward(self, x):
        return self.classifier(self.feature_extractor(self.normalize(x)).flatten(1))


class BasicBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.shortcut = nn.Sequential()
        if stride != 1 or inp != out:
            self.shortcut = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + self.shortcut(x))


class PreActBlock(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inp)
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        if stride != 1 or inp != out:
            self.shortcut = nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False))

    def forward(self, x):
        a = F.relu(self.bn1(x))
        sc = self.shortcut(a) if hasattr(self, "shortcut") else x
        h = self.conv1(a)
        h = self.conv2(F.relu(self.bn2(h)))
        return h + sc


class ResNet18(nn.Module):
    """CIFAR ResNet-18 (3x3 stem, no max-pool); pre_act=True gives PreAct ResNet-18."""

    def __init__(self, mean, std, num_classes=10, pre_act=False):
        super().__init__()
        self.pre_act = pre_act
        self.normalize = Normalize(mean, std)
        in_ch = len(mean)
        self.conv1 = nn.Conv2d(in_ch, 64, 3, 1, 1, bias=False)
        if not pre_act:
            self.bn1 = nn.BatchNorm2d(64)
        block = PreActBlock if pre_act else BasicBlock
        inp = 64
        for i, w in enumerate([64, 128, 256, 512]):
            layers = []
            for b in range(2):
                stride = 2 if (b == 0 and i > 0) else 1
                layers.append(block(inp, w, stride))
                inp = w
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*layers))
        if pre_act:
            self.bn = nn.BatchNorm2d(512)
        self.linear = nn.Linear(512, num_classes)

    def forward(self, x):
        h = self.conv1(self.normalize(x))
        if not self.pre_act:
            h = F.relu(self.bn1(h))
        h = self.layer4(self.layer3(self.layer2(self.layer1(h))))
        if self.pre_act:
            h = F.relu(self.bn(h))
        return self.linear(F.adaptive_avg_pool2d(h, 1).flatten(1))


def build(arch, mean, std, num_classes):
    if arch == "small-cnn":
        return SmallCNN(mean, std, num_classes)
    if arch == "resnet18":
        return ResNet18(mean, std, num_classes)
    if arch == "preact-resnet18":
        return ResNet18(mean, std, num_classes, pre_act=True)
    raise ValueError("unknown architecture " + arch)


_DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def load_safetensors(path):
    """Reads a safetensors file with the standard library and torch only (no safetensors package on Debian 12)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = blob[8 + n:]
    out = {}
    for name, t in header.items():
        dtype, width = _DTYPES[t["dtype"]]
        b, e = t["data_offsets"]
        tensor = torch.frombuffer(bytearray(data[b:e]), dtype=dtype) if e > b else torch.empty(0, dtype=dtype)
        out[name] = tensor.reshape(t["shape"]).clone()
    return out, meta


if __name__ == "__main__":
    for arch, c, k in [("small-cnn", 1, 10), ("resnet18", 3, 10), ("resnet18", 3, 100), ("preact-resnet18", 3, 10)]:
        m = build(arch, [0.5] * c, [0.5] * c, k)
        print(arch, k, sum(p.numel() for p in m.parameters()))
