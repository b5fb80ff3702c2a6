"""Loads a RobustLab safetensors export into the PyTorch definition of its architecture
(load_state_dict strict=True), runs it in eval mode on the given inputs and prints the largest
difference from RobustLab's logits as JSON.

Usage: check_export.py FILE.safetensors ARCH CLASSES INPUT.f32 N C H W LOGITS.f32
"""
import json
import sys

import torch

import torch_models

path, arch, classes, inp, n, c, h, w, logits_path = sys.argv[1:10]
n, c, h, w, classes = int(n), int(c), int(h), int(w), int(classes)
state, meta = torch_models.load_safetensors(path)
model = torch_models.build(arch, [0.0] * c, [1.0] * c, classes)
missing = set(model.state_dict().keys()) ^ set(state.keys())
model.load_state_dict(state, strict=True)
model.eval()
x = torch.frombuffer(bytearray(open(inp, "rb").read()), dtype=torch.float32).reshape(n, c, h, w)
ours = torch.frombuffer(bytearray(open(logits_path, "rb").read()), dtype=torch.float32).reshape(n, classes)
with torch.no_grad():
    theirs = model(x)
print(json.dumps({"max_abs_diff": float((theirs - ours).abs().max()), "max_abs_logit": float(ours.abs().max()),
                  "tensors": len(state), "key_mismatch": sorted(missing), "metadata": meta}))
