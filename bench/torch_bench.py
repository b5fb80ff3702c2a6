"""PyTorch eager counterpart of RobustLab's benchmark rows: the same models, batches and steps.

Reads one row per line on standard input, a JSON object
{"key", "arch", "channels", "size", "classes", "batch", "method", "steps", "warmup"} and optionally
"device" ("cpu", the default, or "cuda"), "cudnn_benchmark" and "channels_last" (booleans, CUDA only);
method is one of standard, arr-fgsm, arr-pgd3, pgd-at-10, trades-10, eval-pgd20. Answers each with one
JSON line {"key": ..., "ms_per_step": median over the timed steps, "times_ms": every timed step,
"images_per_second": ..., "peak_mib": peak memory the caching allocator reserved (CUDA), ...}. The
Java benchmark sends each row right after timing its own, so that both see the same machine state.

On CUDA the batch is made on the GPU once, before the loop, and each step is timed between two
torch.cuda.synchronize() calls, so that the figure is the GPU's time and not the time to queue kernels.
A first line {"info": true} answers with the versions, the device and the CPU capability.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F

import torch_models

torch.set_num_threads(2)
torch.manual_seed(0)


def clamp_ball(x_adv, x, eps):
    return torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)


def pgd(model, x, y, eps, steps, alpha, random_start, train_mode, objective="ce", clean_logits=None):
    was_training = model.training
    model.train(train_mode)
    for p in model.parameters():
        p.requires_grad_(False)
    if objective == "kl":
        x_adv = (x + 0.001 * torch.randn_like(x)).clamp(0, 1)
    elif random_start:
        x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    else:
        x_adv = x.clone()
    for _ in range(steps):
        x_adv.requires_grad_(True)
        logits = model(x_adv)
        if objective == "kl":
            loss = F.kl_div(F.log_softmax(logits, 1), F.softmax(clean_logits, 1), reduction="sum")
        else:
            loss = F.cross_entropy(logits, y, reduction="sum")
        grad, = torch.autograd.grad(loss, x_adv)
        x_adv = clamp_ball(x_adv.detach() + alpha * grad.sign(), x, eps)
    for p in model.parameters():
        p.requires_grad_(True)
    model.train(was_training)
    return x_adv.detach()


def kl_batchmean(p_logits, q_logits):
    return F.kl_div(F.log_softmax(q_logits, 1), F.softmax(p_logits, 1), reduction="batchmean")


def step(method, model, opt, x, y, eps):
    if method == "standard":
        loss = F.cross_entropy(model(x), y)
    elif method in ("arr-fgsm", "arr-pgd3"):
        if method == "arr-fgsm":
            x_adv = pgd(model, x, y, eps, 1, 1.25 * eps, True, False)
        else:
            x_adv = pgd(model, x, y, eps, 3, eps / 2, True, False)
        clean = model(x)
        adv = model(x_adv)
        loss = F.cross_entropy(clean, y) + 1.0 * kl_batchmean(clean, adv)
    elif method == "pgd-at-10":
        x_adv = pgd(model, x, y, eps, 10, eps / 4, True, True)
        loss = F.cross_entropy(model(x_adv), y)
    elif method == "trades-10":
        model.eval()
        with torch.no_grad():
            clean_ref = model(x)
        model.train()
        x_adv = pgd(model, x, y, eps, 10, eps / 4, False, False, "kl", clean_ref)
        clean = model(x)
        loss = F.cross_entropy(clean, y) + 6.0 * kl_batchmean(clean, model(x_adv))
    else:
        raise ValueError(method)
    opt.zero_grad()
    loss.backward()
    opt.step()


def info():
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cuda": torch.version.cuda,
           "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}
    try:
        out["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    except AttributeError:  # torch before 2.0
        out["cpu_capability"] = None
    if torch.cuda.is_available():
        out["gpu"] = torch.cuda.get_device_name(0)
    return out


def run(row):
    c, s = row["channels"], row["size"]
    cuda = row.get("device", "cpu") == "cuda"
    device = torch.device("cuda" if cuda else "cpu")
    if cuda:
        torch.backends.cudnn.benchmark = bool(row.get("cudnn_benchmark", False))
    channels_last = cuda and bool(row.get("channels_last", False))
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    model = torch_models.build(row["arch"], [0.5] * c, [0.25] * c, row["classes"]).to(device, memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(row["batch"], c, s, s, device=device).contiguous(memory_format=fmt)
    y = torch.randint(0, row["classes"], (row["batch"],), device=device)
    eps = row.get("epsilon", 0.1)
    method = row["method"]
    model.train()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    times = []
    for i in range(row["warmup"] + row["steps"]):
        if cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        if method == "eval-pgd20":
            model.eval()
            x_adv = pgd(model, x, y, eps, 20, eps / 4, True, False)
            with torch.no_grad():
                model(x_adv).argmax(1)
        else:
            step(method, model, opt, x, y, eps)
        if cuda:
            torch.cuda.synchronize()
        if i >= row["warmup"]:
            times.append(time.perf_counter() - start)
    times_ms = [1000 * t for t in times]
    ms = sorted(times_ms)[len(times_ms) // 2]
    out = {"key": row["key"], "ms_per_step": ms, "times_ms": times_ms, "images_per_second": row["batch"] * 1000 / ms,
           "torch": torch.__version__, "threads": torch.get_num_threads()}
    if cuda:
        out["peak_mib"] = torch.cuda.max_memory_reserved() / 2**20
        del model, opt, x, y
        torch.cuda.empty_cache()
    return out


if __name__ == "__main__":
    for line in sys.stdin:
        if line.strip():
            request = json.loads(line)
            print(json.dumps(info() if request.get("info") else run(request)), flush=True)
