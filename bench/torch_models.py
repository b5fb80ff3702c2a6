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


class WideBlock(nn.Module):
    """The WideResNet block of the TRADES, MART, AWP and RobustBench code: BN-ReLU-conv twice, a 1x1 shortcut conv
    (on the activated input) when the width changes."""

    def __init__(self, inp, out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(inp)
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        self.equal = inp == out
        if not self.equal:
            self.convShortcut = nn.Conv2d(inp, out, 1, stride, 0, bias=False)

    def forward(self, x):
        a = F.relu(self.bn1(x))
        h = self.conv2(F.relu(self.bn2(self.conv1(a))))
        return h + (x if self.equal else self.convShortcut(a))


class Group(nn.Module):
    """n blocks, the first from inp channels at the given stride, under one attribute: `layer` in the TRADES code's
    WideResNet, `block` in DeepMind's."""

    def __init__(self, block, attribute, n, inp, out, stride):
        super().__init__()
        self.attribute = attribute
        setattr(self, attribute, nn.Sequential(*[block(inp if i == 0 else out, out, stride if i == 0 else 1) for i in range(n)]))

    def forward(self, x):
        return getattr(self, self.attribute)(x)


class WideResNet(nn.Module):
    """WideResNet-depth-widen with the module names of RobustBench's and the TRADES code's state dicts (block1.layer.0.bn1,
    convShortcut, bn1, fc). sub_block1=True adds the TRADES code's unused sub_block1; mean=None leaves the input as it is
    (RobustBench's models take [0,1] images)."""

    def __init__(self, depth, widen, num_classes=10, mean=None, std=None, sub_block1=False):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * widen, 32 * widen, 64 * widen]
        if mean is not None:
            self.normalize = Normalize(mean, std)
        self.conv1 = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.block1 = Group(WideBlock, "layer", n, ch[0], ch[1], 1)
        if sub_block1:
            self.sub_block1 = Group(WideBlock, "layer", n, ch[0], ch[1], 1)
        self.block2 = Group(WideBlock, "layer", n, ch[1], ch[2], 2)
        self.block3 = Group(WideBlock, "layer", n, ch[2], ch[3], 2)
        self.bn1 = nn.BatchNorm2d(ch[3])
        self.fc = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        if hasattr(self, "normalize"):
            x = self.normalize(x)
        h = self.block3(self.block2(self.block1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(F.relu(self.bn1(h)), 1).flatten(1))


class DeepMindBlock(nn.Module):
    """DeepMind's WideResNet block (RobustBench's DMWideResNet): BN-SiLU, a 3x3 convolution on an input padded as
    TensorFlow's SAME (1 on each side at stride 1, 0 before and 1 after at stride 2), BN-SiLU, a 3x3 convolution; a 1x1
    shortcut convolution of the activated input when the width changes."""

    def __init__(self, inp, out, stride):
        super().__init__()
        self.batchnorm_0 = nn.BatchNorm2d(inp)
        self.conv_0 = nn.Conv2d(inp, out, 3, stride, 0, bias=False)
        self.batchnorm_1 = nn.BatchNorm2d(out)
        self.conv_1 = nn.Conv2d(out, out, 3, 1, 1, bias=False)
        if inp != out:
            self.shortcut = nn.Conv2d(inp, out, 1, stride, 0, bias=False)
        self.pad = (1, 1, 1, 1) if stride == 1 else (0, 1, 0, 1)

    def forward(self, x):
        a = F.silu(self.batchnorm_0(x))
        h = self.conv_1(F.silu(self.batchnorm_1(self.conv_0(F.pad(a, self.pad)))))
        return (self.shortcut(a) if hasattr(self, "shortcut") else x) + h


class DeepMindWideResNet(nn.Module):
    """DeepMind's WideResNet with SiLU, under RobustBench's names (init_conv, layer.G.block.B, batchnorm, logits); its
    normalisation is inside and not in the state dict."""

    def __init__(self, depth, widen, num_classes=10, mean=(0.4914, 0.4822, 0.4465), std=(0.2471, 0.2435, 0.2616)):
        super().__init__()
        n = (depth - 4) // 6
        ch = [16, 16 * widen, 32 * widen, 64 * widen]
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        self.init_conv = nn.Conv2d(3, ch[0], 3, 1, 1, bias=False)
        self.layer = nn.Sequential(*[Group(DeepMindBlock, "block", n, ch[g], ch[g + 1], 1 if g == 0 else 2) for g in range(3)])
        self.batchnorm = nn.BatchNorm2d(ch[3])
        self.logits = nn.Linear(ch[3], num_classes)

    def forward(self, x):
        h = self.layer(self.init_conv((x - self.mean) / self.std))
        return self.logits(F.adaptive_avg_pool2d(F.silu(self.batchnorm(h)), 1).flatten(1))


_WRN = {"wrn-28-10": (28, 10), "wrn-34-10": (34, 10), "wrn-70-16": (70, 16)}
_DM_WRN = {"dm-wrn-28-10": (28, 10), "dm-wrn-70-16": (70, 16)}


def build(arch, mean, std, num_classes):
    if arch in _DM_WRN:
        return DeepMindWideResNet(*_DM_WRN[arch], num_classes=num_classes, mean=mean, std=std)
    if arch in _WRN:
        return WideResNet(*_WRN[arch], num_classes=num_classes, mean=mean, std=std)
    if arch == "small-cnn":
        return SmallCNN(mean, std, num_classes)
    if arch == "resnet18":
        return ResNet18(mean, std, num_classes)
    if arch == "preact-resnet18":
        return ResNet18(mean, std, num_classes, pre_act=True)
    raise ValueError("unknown architecture " + arch)


_DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def save_safetensors(state, path):
    """Writes a state dict as safetensors (F32 and I64 tensors) with the standard library and torch only."""
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        t = t.detach().contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header).encode()
    head += b" " * ((8 - len(head) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for b in blobs:
            f.write(b)


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
    for arch, c, k in [("small-cnn", 1, 10), ("resnet18", 3, 10), ("resnet18", 3, 100), ("preact-resnet18", 3, 10),
                       ("wrn-28-10", 3, 10), ("wrn-34-10", 3, 10), ("wrn-70-16", 3, 10)]:
        m = build(arch, [0.5] * c, [0.5] * c, k)
        print(arch, k, sum(p.numel() for p in m.parameters()))
