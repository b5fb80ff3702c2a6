#!/usr/bin/env bash
# On the GPU machine (after scripts/gpu/prepare.sh here; carry gpu and gpu-run):
#   bash scripts/gpu/run.sh            every check, about 5 minutes on an H100
#   bash scripts/gpu/run.sh --cpu      the dry run here: the same steps on the CPU with DJL's CPU natives, small sizes
# Steps, each under its own time limit, all output under $OUT (at most 8 files come back):
#   1. the GPU test class (every training method, every attack, an evaluation, a training run, flat memory)
#   2. the engine benchmark on the GPU, beside PyTorch eager and PyTorch tuned, in the same run
#   3. the worker as the service runs it: the ResNet-18 ARR training task, then the PGD-20 + ensemble evaluation task
#   4. PyTorch eager's training of the same configuration, for its seconds per epoch
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
OUT="${OUT:-/tmp/gpu-out}"; mkdir -p "$OUT"
CP="gpu-run/classes:gpu-run/lib/*"
if [[ "${1:-}" == --cpu ]]; then
  M2="$HOME/.m2/repository/ai/djl/pytorch"
  CP="$CP:$(ls "$M2"/pytorch-native-cpu/2.7.1/*linux-x86_64.jar):$(ls "$M2"/pytorch-jni/2.7.1-0.36.0/*.jar)"
  JAVA=java; JAVA_GPU_OPTS="-Dai.djl.offline=true"; DEVICE=cpu; QUICK=(--quick --only small-cnn/arr-fgsm); TESTS=(-Drobustlab.gpu-test.device=cpu)
  TEST_LIMIT=900
  export ROBUSTLAB_PYTHON=/usr/bin/python3
  # the same task files, on the CPU and tiny: 256 images, 1 epoch; 20 test points, short attacks
  /usr/bin/python3 - <<'PY'
import json
t = json.load(open("gpu-run/tasks/train.json")); t["device"] = "cpu"
t["plan"].update(trainSubset=256, epochs=1, validationSize=100, validationPgdSteps=2)
json.dump(t, open("/tmp/train-cpu.json", "w"))
e = json.load(open("gpu-run/tasks/eval.json")); e["device"] = "cpu"; e["evaluation"]["testSubset"] = 20
for a in e["evaluation"]["attacks"]:
    a.update(steps=min(a["steps"], 5), restarts=min(a["restarts"], 2), queries=min(a["queries"], 20))
json.dump(e, open("/tmp/eval-cpu.json", "w"))
PY
  TRAIN_TASK=/tmp/train-cpu.json; EVAL_TASK=/tmp/eval-cpu.json; TORCH_TRAIN=(--train 256 --validation 100 --test 20 --epochs 1 --device cpu)
else
  [ -d gpu-run/jre ] || tar xzf gpu-run/jre.tgz -C gpu-run || exit 2
  # shellcheck source=/dev/null
  source gpu/djl-env.sh gpu-run/jre || exit 2
  DEVICE=gpu; QUICK=(); TESTS=(); TRAIN_TASK=gpu-run/tasks/train.json; EVAL_TASK=gpu-run/tasks/eval.json; TEST_LIMIT=240
  ROBUSTLAB_PYTHON="$(command -v python3 || echo /opt/torch/.venv/bin/python3)"; export ROBUSTLAB_PYTHON
  read -r images epochs < <(python3 -c 'import json;p=json.load(open("gpu-run/tasks/train.json"))["plan"];print(p["trainSubset"],p["epochs"])')
  TORCH_TRAIN=(--train "$images" --epochs "$epochs" --device cuda)
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
fi
LOG="-Dlogback.configurationFile=gpu/logback-gpu.xml"
phase() { local name=$1 limit=$2; shift 2; echo "=== $name (limit ${limit}s) $(date +%T)" >&2; timeout --kill-after=10 "$limit" "$@"; local rc=$?; echo "=== $name exit $rc $(date +%T)" >&2; }

phase tests "$TEST_LIMIT" "$JAVA" $JAVA_GPU_OPTS "${TESTS[@]}" -Xmx8g -XX:ErrorFile="$OUT/hs_err_%p.log" -cp "gpu-run/test-classes:$CP" \
  org.junit.platform.console.ConsoleLauncher execute --select-class org.robustlab.ml.GpuEngineTest --details=tree --disable-banner \
  > "$OUT/tests.txt" 2>&1
tail -n 40 "$OUT/tests.txt"

phase benchmark 300 "$JAVA" $JAVA_GPU_OPTS $LOG -Xmx8g -cp "gpu-run/test-classes:$CP" org.robustlab.ml.bench.Benchmark --device "$DEVICE" "${QUICK[@]}" \
  --out "$OUT/bench.jsonl" > "$OUT/bench.txt" 2>&1
grep -E '^#|^\|' "$OUT/bench.txt"

# The worker reads commands on stdin and exits when it closes (the service is gone), so it gets a pipe that stays
# open. As the service does, the job folders exist before their workers start.
rm -rf gpu-run/work && mkdir -p gpu-run/work/train gpu-run/work/eval
phase worker-train 300 "$JAVA" $JAVA_GPU_OPTS $LOG -Xmx8g -cp "$CP" org.robustlab.worker.WorkerMain "$TRAIN_TASK" \
  < <(sleep 3600) > "$OUT/worker.txt" 2>&1
phase worker-eval 240 "$JAVA" $JAVA_GPU_OPTS $LOG -Xmx8g -cp "$CP" org.robustlab.worker.WorkerMain "$EVAL_TASK" \
  < <(sleep 3600) >> "$OUT/worker.txt" 2>&1
grep '^@@robustlab' "$OUT/worker.txt" | grep -v '"batch"\|"progress"'
cp gpu-run/work/eval/report.json "$OUT/report.json" 2>/dev/null

phase torch-train 240 "${ROBUSTLAB_PYTHON}" bench/torch_train.py --data gpu-run/data "${TORCH_TRAIN[@]}" > "$OUT/torch-train.jsonl" 2>&1
cat "$OUT/torch-train.jsonl"
ls -la "$OUT"
