"""The original AutoAttack (fra31/auto-attack) on the model and test points that AutoAttackComparison wrote, and the
comparison with RobustLab's figures for them.

AutoAttack is not on any registry this project can use, so it is not a dependency: give the folder of a checkout of
fra31/auto-attack (the folder that holds the `autoattack` package). Nothing of it is copied here.

Usage: autoattack_compare.py AUTOATTACK_CHECKOUT DIR [--bs 250] [--out results/autoattack-comparison.md] [--reuse-theirs]
  DIR: what `scripts/run-main org.robustlab.ml.bench.AutoAttackComparison --out DIR` wrote (model.safetensors,
  x.f32, y.i64, shape.json, ours.json)
  --reuse-theirs: take the original's figures from DIR/theirs.json (an earlier run on the same model and points) instead
  of running it again (about 80 minutes on 2 cores), when only our side was measured again
"""
import argparse
import datetime
import json
import os
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("autoattack")
parser.add_argument("dir")
parser.add_argument("--bs", type=int, default=250)
parser.add_argument("--out", default="results/autoattack-comparison.md")
parser.add_argument("--reuse-theirs", action="store_true")
args = parser.parse_args()
sys.path.insert(0, os.path.abspath(args.autoattack))
from autoattack import AutoAttack  # noqa: E402

torch.set_num_threads(int(os.environ.get("THREADS", max(1, os.cpu_count() - 1))))
shape = json.load(open(os.path.join(args.dir, "shape.json")))
n, c, h, w = shape["n"], shape["c"], shape["h"], shape["w"]
x = torch.frombuffer(bytearray(open(os.path.join(args.dir, "x.f32"), "rb").read()), dtype=torch.float32).reshape(n, c, h, w)
y = torch.frombuffer(bytearray(open(os.path.join(args.dir, "y.i64"), "rb").read()), dtype=torch.int64).reshape(n)
state, meta = torch_models.load_safetensors(os.path.join(args.dir, "model.safetensors"))
model = torch_models.build("small-cnn", [0.0] * c, [1.0] * c, 10)
model.load_state_dict(state, strict=True)
model.eval()
ours = json.load(open(os.path.join(args.dir, "ours.json")))
eps = ours["epsilon"]

if args.reuse_theirs:
    theirs = json.load(open(os.path.join(args.dir, "theirs.json")))
else:
    adversary = AutoAttack(model, norm="Linf", eps=eps, version="standard", device="cpu", seed=0, verbose=False)
    theirs = {"clean": adversary.clean_accuracy(x, y, bs=args.bs), "attacks": {}}

    def correct(images):
        with torch.no_grad():
            return torch.cat([model(images[i:i + args.bs]).argmax(1) == y[i:i + args.bs] for i in range(0, n, args.bs)])


    per_example = {"clean": correct(x)}
    t0 = time.time()
    individual = adversary.run_standard_evaluation_individual(x, y, bs=args.bs)
    for name, x_adv in individual.items():
        theirs["attacks"][name] = adversary.clean_accuracy(x_adv, y, bs=args.bs)
        per_example[name] = correct(x_adv)
    theirs["individualSeconds"] = time.time() - t0
    adversary = AutoAttack(model, norm="Linf", eps=eps, version="standard", device="cpu", seed=0, verbose=False)
    t0 = time.time()
    x_adv = adversary.run_standard_evaluation(x, y, bs=args.bs)
    theirs["attacks"]["ensemble"] = adversary.clean_accuracy(x_adv, y, bs=args.bs)
    theirs["ensembleSeconds"] = time.time() - t0
    theirs["maxPerturbation"] = float((x_adv - x).abs().reshape(n, -1).max(1)[0].max())
    per_example["ensemble"] = correct(x_adv)
    # The original's outcome for every point (1: still classified correctly), so a test can hold ours to it point by point.
    with open(os.path.join(args.dir, "theirs-examples.csv"), "w") as f:
        names = list(per_example)
        f.write("index," + ",".join(names) + "\n")
        for i in range(n):
            f.write("%d,%s\n" % (i, ",".join(str(int(per_example[k][i])) for k in names)))
    json.dump(theirs, open(os.path.join(args.dir, "theirs.json"), "w"), indent=2)

ours_by = ours["attacks"]
rows = [("clean", ours["clean"], theirs["clean"], "identical"),
        ("APGD-CE (100 steps)", ours_by["apgd-ce-100"]["robustAccuracy"], theirs["attacks"]["apgd-ce"], "within 1 point"),
        ("APGD-T (9 targets x 100 steps)", ours_by["apgd-t-100x9"]["robustAccuracy"], theirs["attacks"]["apgd-t"], "within 1 point"),
        ("FAB-T (9 targets x 100 steps)", ours_by["fab-t-100x9"]["robustAccuracy"], theirs["attacks"]["fab-t"], "within 1 point"),
        ("Square (5,000 queries)", ours_by["square-5000"]["robustAccuracy"], theirs["attacks"]["square"], "within 1 point"),
        ("ensemble (standard)", ours_by["ensemble"]["robustAccuracy"], theirs["attacks"]["ensemble"], "ours at most 0.5 point above")]


def holds(ours_value, theirs_value, rule):
    if rule == "identical":
        return abs(ours_value - theirs_value) < 1e-9
    if rule == "within 1 point":
        return abs(ours_value - theirs_value) <= 0.01 + 1e-9
    return ours_value <= theirs_value + 0.005 + 1e-9


try:
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
except OSError:
    commit = "?"
lines = ["# RobustLab's AutoAttack against the original", "",
         "Measured on %s at commit %s on this workplace's machine (2 cores, no GPU), epsilon %g (L-inf), %d Fashion-MNIST test"
         " points (the first of the test set), model: %s." % (datetime.date.today().isoformat(), commit, eps, n, ours["model"]),
         "The original is fra31/auto-attack (version standard, seed 0, batch %d) run with Debian's PyTorch %s on the same"
         " weights (RobustLab's safetensors export loaded into bench/torch_models.py) and the same points; each attack alone"
         " as its run_standard_evaluation_individual runs it, and the ensemble as run_standard_evaluation runs it." % (
             args.bs, torch.__version__), "",
         "Commands: `scripts/run-main org.robustlab.ml.bench.AutoAttackComparison --out runs/autoattack-comparison` (ours), then"
         " `/usr/bin/python3 bench/autoattack_compare.py <auto-attack checkout> runs/autoattack-comparison` (theirs, and this"
         " file).", "",
         "| | RobustLab | original AutoAttack | difference | rule | holds |", "|---|---|---|---|---|---|"]
for name, o, t, rule in rows:
    lines.append("| %s | %.3f | %.3f | %+.3f | %s | %s |" % (name, o, t, o - t, rule, "yes" if holds(o, t, rule) else "NO"))
measured = ours.get("measuredThisRun", list(ours_by))
if args.reuse_theirs:
    lines += ["", "The original's figures are those of an earlier run on the same model and points (`theirs.json`,"
              " `--reuse-theirs`); RobustLab's side measured again: %s; its other figures are kept from the earlier"
              " `ours.json`." % ", ".join(measured)]
lines += ["", "Time: RobustLab %.0f s for %s (one JVM, %s); the original %.0f s for the four"
          " alone and %.0f s for the ensemble." % (ours["seconds"], ", ".join(measured), "2 PyTorch threads",
                                                  theirs["individualSeconds"], theirs["ensembleSeconds"])]
open(args.out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
