"""PyTorch eager counterpart of a RobustLab worker's training task: the same data, model, method and optimiser.

    python3 bench/torch_train.py --data DIR --arch resnet18 --method arr-fgsm --train 20000 --validation 1000 \
        --epochs 3 --batch 128 --lr 0.05 --eps 0.1 [--device cuda] [--test 500]

Reads Fashion-MNIST from DIR/fashion-mnist (IDX files, gzipped or not; the first --train + --validation training
images, the last --validation of them held out as the worker does not: this split is simply the first images,
since only the time per epoch is compared), trains with SGD (momentum 0.9, weight decay 5e-4, constant learning
rate) and ARR (KL, FGSM with a random start, step 1.25 eps, lambda 1) or standard training, and prints one JSON
line per epoch: {"epoch", "seconds", "train_seconds", "loss", "val_clean", "val_pgd10"}, then a summary with
PGD-20 accuracy on --test test images. The batch is copied to the device once per step, as the worker does.

    python3 bench/torch_train.py twin --data DIR --weights INIT.safetensors --method mart --steps 200 ...

The twin of RobustLab's training step for every method (standard, arr, pgd-at, trades, mart, fgsm-rs, n-fgsm, with
--awp-gamma on arr/pgd-at/trades/mart and --gradalign on fgsm-rs), written from the papers' reference code: SmallCNN
from the given initial weights (a RobustLab safetensors export), the first --steps x --batch training images in order,
SGD (momentum 0.9, weight decay 5e-4, constant learning rate). Prints one JSON line: the loss of every step, then
clean and PGD-20 accuracy (step eps/4, random start, inference mode) on the first --test test images. The TrainingTwinTest
runs RobustLab's side on the same weights and data and compares the two.
"""
import argparse
import copy
import gzip
import json
import os
import struct
import sys
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


def mart_loss(clean, adv, y, beta):
    """MART's loss from its logits, as the reference code's mart_loss computes it."""
    adv_probs = F.softmax(adv, dim=1)
    tmp1 = torch.argsort(adv_probs, dim=1)[:, -2:]
    new_y = torch.where(tmp1[:, -1] == y, tmp1[:, -2], tmp1[:, -1])
    loss_adv = F.cross_entropy(adv, y) + F.nll_loss(torch.log(1.0001 - adv_probs + 1e-12), new_y)
    nat_probs = F.softmax(clean, dim=1)
    true_probs = torch.gather(nat_probs, 1, y.unsqueeze(1).long()).squeeze()
    kl = torch.sum(F.kl_div(torch.log(adv_probs + 1e-12), nat_probs, reduction="none"), dim=1)
    robust = (1.0 / len(y)) * torch.sum(kl * (1.0000001 - true_probs))
    return loss_adv + beta * robust, loss_adv, robust


def input_grad(model, x, y, delta, create_graph):
    """GradAlign's get_input_grad: the gradient of the mean cross-entropy at x + delta with respect to delta."""
    delta.requires_grad_(True)
    loss = F.cross_entropy(model(x + delta), y)
    grad, = torch.autograd.grad(loss, delta, create_graph=create_graph)
    return grad if create_graph else grad.detach()


def grad_align(model, x, y, grad1, eps):
    """1 - mean cos between the clean input gradient and the one at x + uniform noise, rows with a zero gradient left out."""
    grad2 = input_grad(model, x, y, torch.empty_like(x).uniform_(-eps, eps), True)
    keep = ((grad1 ** 2).sum([1, 2, 3]) ** 0.5 != 0) * ((grad2 ** 2).sum([1, 2, 3]) ** 0.5 != 0)
    g1, g2 = grad1[keep], grad2[keep]
    g1 = g1 / (g1 ** 2).sum([1, 2, 3]).sqrt()[:, None, None, None]
    g2 = g2 / (g2 ** 2).sum([1, 2, 3]).sqrt()[:, None, None, None]
    cos = torch.sum(g1 * g2, (1, 2, 3))
    # the reference takes cos.mean(), NaN when every row is left out (a zero last layer at the start); RobustLab
    # counts that as no alignment (regulariser 1, no gradient), and so does this twin
    return 1.0 - cos.sum() / max(int(keep.sum()), 1)


def twin_inner(a, model, x, y):
    """The method's inner attack, as RobustLab's plan for it crafts it."""
    eps = a.eps
    if a.method == "standard":
        return None
    if a.method == "trades":
        model.eval()
        with torch.no_grad():
            clean = model(x)
        model.train()
        return torch_bench.pgd(model, x, y, eps, a.attack_steps, a.alpha, False, False, objective="kl", clean_logits=clean)
    if a.method == "n-fgsm":
        start = (x + torch.empty_like(x).uniform_(-a.noise, a.noise)).clamp(0, 1)
        for p in model.parameters():
            p.requires_grad_(False)
        start.requires_grad_(True)
        grad, = torch.autograd.grad(F.cross_entropy(model(start), y, reduction="sum"), start)
        for p in model.parameters():
            p.requires_grad_(True)
        return (start.detach() + a.alpha * grad.sign()).clamp(0, 1)
    steps = 1 if a.method in ("fgsm-rs", "arr") else a.attack_steps
    train_mode = a.method in ("pgd-at", "fgsm-rs")
    return torch_bench.pgd(model, x, y, eps, steps, a.alpha, True, train_mode)


def twin_loss(a, model, x, adv, y):
    """{total, cross-entropy, regulariser or None} of the method on the batch, every forward in training mode."""
    if a.method == "standard":
        ce = F.cross_entropy(model(x), y)
        return ce, ce, None
    if a.method in ("pgd-at", "fgsm-rs", "n-fgsm"):
        ce = F.cross_entropy(model(adv), y)
        return ce, ce, None
    clean, advl = model(x), model(adv)
    if a.method == "mart":
        return mart_loss(clean, advl, y, a.beta)
    ce = F.cross_entropy(clean, y)
    reg = torch_bench.kl_batchmean(clean, advl)
    return ce + (a.beta if a.method == "trades" else a.lam) * reg, ce, reg


def awp_direction(a, model, proxy, x, adv, y):
    """The AWP reference's calc_awp: one SGD step (lr 0.01) of a proxy copy up the method's loss, each weight's move
    rescaled to its norm (parameters of more than one dimension only)."""
    proxy.load_state_dict(model.state_dict())
    proxy.train()
    proxy_opt = torch.optim.SGD(proxy.parameters(), lr=0.01)
    loss = -twin_loss(a, proxy, x, adv, y)[0]
    proxy_opt.zero_grad()
    loss.backward()
    proxy_opt.step()
    diff = {}
    model_state, proxy_state = model.state_dict(), proxy.state_dict()
    for (k, old_w), (_, new_w) in zip(model_state.items(), proxy_state.items()):
        if len(old_w.size()) > 1 and "weight" in k:
            d = new_w - old_w
            diff[k] = old_w.norm() / (d.norm() + 1e-20) * d
    return diff


def add_into_weights(model, diff, coeff):
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name in diff:
                param.add_(coeff * diff[name])


def twin_main(argv):
    p = argparse.ArgumentParser(prog="torch_train.py twin")
    p.add_argument("--data", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--method", required=True,
                   choices=["standard", "arr", "pgd-at", "trades", "mart", "fgsm-rs", "n-fgsm"])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--eps", type=float, default=0.1)
    p.add_argument("--alpha", type=float, required=True)
    p.add_argument("--attack-steps", type=int, default=3)
    p.add_argument("--beta", type=float, default=6.0)
    p.add_argument("--lam", type=float, default=1.0)
    p.add_argument("--noise", type=float, default=0.2)
    p.add_argument("--awp-gamma", type=float, default=0.0)
    p.add_argument("--gradalign", type=float, default=0.0)
    p.add_argument("--test", type=int, default=1000)
    p.add_argument("--mean", type=float, default=0.2860)
    p.add_argument("--std", type=float, default=0.3530)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--eval-weights", help="also evaluate these weights (RobustLab's trained model) as this side evaluates its own")
    a = p.parse_args(argv)
    torch.manual_seed(a.seed)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    folder = os.path.join(a.data, "fashion-mnist")
    n = a.steps * a.batch
    x = read_idx(find(folder, "train-images-idx3-ubyte"))[:n].astype(np.float32).reshape(-1, 1, 28, 28) / 255.0
    y = read_idx(find(folder, "train-labels-idx1-ubyte"))[:n].astype(np.int64)
    test_x = read_idx(find(folder, "t10k-images-idx3-ubyte"))[:a.test].astype(np.float32).reshape(-1, 1, 28, 28) / 255.0
    test_y = read_idx(find(folder, "t10k-labels-idx1-ubyte"))[:a.test].astype(np.int64)
    model = torch_models.build("small-cnn", [a.mean], [a.std], 10)
    state, _ = torch_models.load_safetensors(a.weights)
    model.load_state_dict(state, strict=True)
    model.train()
    proxy = copy.deepcopy(model) if a.awp_gamma > 0 else None
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, weight_decay=5e-4)
    losses, regs = [], []
    start = time.perf_counter()
    for i in range(a.steps):
        xb = torch.from_numpy(x[i * a.batch:(i + 1) * a.batch])
        yb = torch.from_numpy(y[i * a.batch:(i + 1) * a.batch])
        adv = twin_inner(a, model, xb, yb)
        diff = awp_direction(a, model, proxy, xb, adv, yb) if proxy is not None else None
        if diff is not None:
            add_into_weights(model, diff, a.awp_gamma)
        grad1 = input_grad(model, xb, yb, torch.zeros_like(xb), False) if a.gradalign > 0 else None
        loss, ce, reg = twin_loss(a, model, xb, adv, yb)
        if grad1 is not None:
            reg = grad_align(model, xb, yb, grad1, a.eps)
            loss = loss + a.gradalign * reg
        opt.zero_grad()
        loss.backward()
        opt.step()
        if diff is not None:
            add_into_weights(model, diff, -a.awp_gamma)
        losses.append(loss.item())
        regs.append(0.0 if reg is None else reg.item())
    seconds = time.perf_counter() - start
    clean, pgd20 = accuracy(model, test_x, test_y, a.eps, 20, torch.device("cpu"))
    out = {"method": a.method, "losses": losses, "regularizers": regs, "clean": clean, "pgd20": pgd20,
           "seconds": seconds, "torch": torch.__version__}
    if a.eval_weights:
        state, _ = torch_models.load_safetensors(a.eval_weights)
        model.load_state_dict(state, strict=True)
        out["their_weights_clean"], out["their_weights_pgd20"] = accuracy(model, test_x, test_y, a.eps, 20, torch.device("cpu"))
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "twin":
        twin_main(sys.argv[2:])
    else:
        main()
