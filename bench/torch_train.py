"""PyTorch eager counterpart of a RobustLab worker's training task: the same data, model, method and optimiser.

    python3 bench/torch_train.py --data DIR --arch resnet18 --method arr-fgsm --train 20000 --validation 1000 \
        --epochs 3 --batch 128 --lr 0.05 --eps 0.1 [--device cuda] [--test 500]

Reads Fashion-MNIST from DIR/fashion-mnist (IDX files, gzipped or not; the first --train + --validation training
images, the last --validation of them held out as the worker does not: this split is simply the first images,
since only the time per epoch is compared), trains with SGD (momentum 0.9, weight decay 5e-4, constant learning
rate) and ARR (KL, FGSM with a random start, step 1.25 eps, lambda 1) or standard training, and prints one JSON
line per epoch: {"epoch", "seconds", "train_seconds", "loss", "val_clean", "val_pgd10"}, then a summary with
PGD-20 accuracy on --test test images. The batch is copied to the device once per step, as the worker does.
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch
import torch.nn.functional as F

import torch_bench
import torch_models


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(folder, stem):
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    raise FileNotFoundError(os.path.join(folder, stem))


def accuracy(model, x, y, eps, steps, device, batch=256):
    model.eval()
    clean = robust = 0
    for i in range(0, len(x), batch):
        xb = torch.from_numpy(x[i:i + batch]).to(device)
        yb = torch.from_numpy(y[i:i + batch]).to(device)
        with torch.no_grad():
            ok = model(xb).argmax(1) == yb
        adv = torch_bench.pgd(model, xb, yb, eps, steps, eps / 4, True, False)
        with torch.no_grad():
            ok_adv = model(adv).argmax(1) == yb
        clean += ok.sum().item()
        robust += (ok & ok_adv).sum().item()
    model.train()
    return clean / len(x), robust / len(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--method", default="arr-fgsm", choices=["standard", "arr-fgsm"])
    p.add_argument("--train", type=int, default=20000)
    p.add_argument("--validation", type=int, default=1000)
    p.add_argument("--test", type=int, default=500)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    a = p.parse_args()
    torch.manual_seed(1)
    folder = os.path.join(a.data, "fashion-mnist")
    images = read_idx(find(folder, "train-images-idx3-ubyte")).astype(np.float32) / 255.0
    labels = read_idx(find(folder, "train-labels-idx1-ubyte")).astype(np.int64)
    n = min(a.train + a.validation, len(images))
    x = images[:n].reshape(n, 1, 28, 28)
    y = labels[:n]
    xt, yt = x[:n - a.validation], y[:n - a.validation]
    xv, yv = x[n - a.validation:], y[n - a.validation:]
    test_x = read_idx(find(folder, "t10k-images-idx3-ubyte")).astype(np.float32)[:a.test].reshape(-1, 1, 28, 28) / 255.0
    test_y = read_idx(find(folder, "t10k-labels-idx1-ubyte")).astype(np.int64)[:a.test]
    device = torch.device(a.device)
    model = torch_models.build(a.arch, [0.2860], [0.3530], 10).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    rng = np.random.default_rng(1)
    for epoch in range(1, a.epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(len(xt))
        total = 0.0
        model.train()
        for i in range(0, len(order), a.batch):
            idx = order[i:i + a.batch]
            xb = torch.from_numpy(xt[idx]).to(device)
            yb = torch.from_numpy(yt[idx]).to(device)
            if a.method == "standard":
                loss = F.cross_entropy(model(xb), yb)
            else:
                x_adv = torch_bench.pgd(model, xb, yb, a.eps, 1, 1.25 * a.eps, True, False)
                clean = model(xb)
                loss = F.cross_entropy(clean, yb) + torch_bench.kl_batchmean(clean, model(x_adv))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        if device.type == "cuda":
            torch.cuda.synchronize()
        train_seconds = time.perf_counter() - start
        val_clean, val_robust = accuracy(model, xv, yv, a.eps, 10, device)
        print(json.dumps({"epoch": epoch, "seconds": time.perf_counter() - start, "train_seconds": train_seconds,
                          "loss": total / len(xt), "val_clean": val_clean, "val_pgd10": val_robust}), flush=True)
    test_clean, test_pgd20 = accuracy(model, test_x, test_y, a.eps, 20, device)
    print(json.dumps({"summary": True, "torch": torch.__version__, "device": str(device),
                      "gpu": torch.cuda.get_device_name(0) if device.type == "cuda" else None,
                      "test_points": len(test_x), "test_clean": test_clean, "test_pgd20": test_pgd20}), flush=True)


if __name__ == "__main__":
    main()
