#!/usr/bin/env bash
# The container check: builds the image from the Dockerfile with podman and runs the README's worked example
# against it, with named volumes on the two folders the compose file mounts (/var/lib/robustlab/data and
# /var/lib/robustlab/datasets), so that what the service writes at start and during a job lands in volumes
# that start empty, as they do under `docker compose up`. Then it restarts the container and checks that the
# job, its model and the admin key survived in the volume.
#
#   sudo scripts/container-check.sh [--keep]     (root: podman here runs rootful; --keep leaves the container)
#
# Docker Hub cannot be reached from this workplace, so the Dockerfile's base images (eclipse-temurin 17 JDK and
# JRE) are replaced, through its BUILD_IMAGE and RUNTIME_IMAGE arguments, by two images made here from Debian's
# packages with debootstrap (bookworm, openjdk-17-jdk-headless and openjdk-17-jre-headless). Everything else is
# the Dockerfile as committed. The image's Maven build downloads from Maven Central.
#
# Three things about this sandbox, none about the image (each is done only where needed):
# - crun may not raise RLIMIT_NOFILE or RLIMIT_NPROC (no CAP_SYS_RESOURCE): the containers get lower limits;
# - crun refuses cgroups in hybrid mode while a controller (hugetlb) sits on the cgroup v2 hierarchy: the script
#   mounts a v1 hugetlb hierarchy, which takes the controller off v2;
# - outbound TLS goes through an intercepting proxy whose CA only the host trusts: the build mounts the host's
#   /etc/ssl/certs read-only into its RUN steps (a build-time mount: nothing of it goes into the image).
# There is no internet beyond Maven Central and Debian here, so the service cannot download Fashion-MNIST: the
# container gets the host's Debian dataset folder read-only at /usr/share/datasets, where the image looks for it.
#
# Needs: root, Debian's podman and debootstrap (installed when missing), Fashion-MNIST (dataset-fashion-mnist).
# About 15 minutes on 2 cores the first time (debootstrap and the Maven build), most of it downloads.
set -euo pipefail
cd "$(dirname "$0")/.."
keep=${1:-}
work=${CONTAINER_CHECK_WORK:-/var/tmp/robustlab-container-check}
mkdir -p "$work"
limits=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
say() { echo "[container-check $(date -u +%H:%M:%S)] $*" >&2; }

command -v podman >/dev/null && command -v debootstrap >/dev/null || {
  say "installing podman and debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman buildah debootstrap crun >/dev/null
}
if [ -f /sys/fs/cgroup/unified/cgroup.controllers ] && [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers)" ]; then
  for c in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
    say "cgroup v2 holds $c in hybrid mode: mounting a v1 $c hierarchy so that crun accepts the layout"
    mkdir -p "/sys/fs/cgroup/$c" && mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
  done
fi

base_image() { # name, packages
  local name=$1 packages=$2 root=$work/rootfs-$1
  if podman image exists "localhost/robustlab-base-$name:bookworm"; then return; fi
  say "making the $name base image with debootstrap ($packages)"
  rm -rf "$root"
  debootstrap --variant=minbase --include="$packages" bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap-$name.log" 2>&1
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | podman import - "localhost/robustlab-base-$name:bookworm" >/dev/null
  rm -rf "$root"
}
base_image jre openjdk-17-jre-headless,ca-certificates,curl
base_image jdk openjdk-17-jdk-headless,ca-certificates,curl

say "building the image from the Dockerfile"
t0=$(date +%s)
podman build --network host -v /etc/ssl/certs:/etc/ssl/certs:ro "${limits[@]}" \
  --build-arg BUILD_IMAGE=localhost/robustlab-base-jdk:bookworm --build-arg RUNTIME_IMAGE=localhost/robustlab-base-jre:bookworm \
  -t localhost/robustlab:check . >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; exit 1; }
say "built in $(( $(date +%s) - t0 )) s"

podman rm -f robustlab-check >/dev/null 2>&1 || true
podman volume rm -f robustlab-check-data robustlab-check-datasets >/dev/null 2>&1 || true
podman volume create robustlab-check-data >/dev/null
podman volume create robustlab-check-datasets >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start() {
  podman run -d --name robustlab-check --network host "${limits[@]}" \
    -v robustlab-check-data:/var/lib/robustlab/data -v robustlab-check-datasets:/var/lib/robustlab/datasets \
    -v /usr/share/datasets:/usr/share/datasets:ro \
    -e ROBUSTLAB_DATA_DIR=/var/lib/robustlab/datasets -e ROBUSTLAB_DOWNLOAD_DATASETS=true -e SERVER_PORT="$port" \
    -e ROBUSTLAB_WORKERS_HEAP=2g -e ROBUSTLAB_WORKERS_THREADS=2 \
    localhost/robustlab:check >/dev/null
  t0=$(date +%s)
  for i in $(seq 1 180); do
    if curl -fs "http://127.0.0.1:$port/actuator/health" >/dev/null 2>&1; then break; fi
    if [ "$(podman inspect -f '{{.State.Running}}' robustlab-check)" != true ]; then
      podman logs robustlab-check | tail -n 40 >&2; echo "the container stopped" >&2; exit 1
    fi
    sleep 1
  done
  curl -fs "http://127.0.0.1:$port/actuator/health" >/dev/null || { podman logs robustlab-check | tail -n 40 >&2; exit 1; }
  say "healthy after $(( $(date +%s) - t0 )) s on port $port"
}
cleanup() {
  podman logs robustlab-check >"$work/service.log" 2>&1 || true
  if [ "$keep" != --keep ]; then
    podman rm -f robustlab-check >/dev/null 2>&1 || true
    podman volume rm -f robustlab-check-data robustlab-check-datasets >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
start

user=$(podman exec robustlab-check id -un)
[ "$user" = robustlab ] || { echo "the service runs as $user, not robustlab" >&2; exit 1; }
key=$(podman exec robustlab-check cat /var/lib/robustlab/data/admin-key)
url="http://127.0.0.1:$port/api/v1"
auth="Authorization: Bearer $key"
say "the service runs as $user; what it wrote at start:"
podman exec robustlab-check ls -ln /var/lib/robustlab/data /var/lib/robustlab/datasets >&2

wait_for() { # path, deadline in seconds: waits for a terminal state and prints it
  local path=$1 deadline=$2 state=""
  for i in $(seq 1 "$deadline"); do
    state=$(curl -fs -H "$auth" "$url/$path" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    case $state in SUCCEEDED|FAILED|CANCELLED) break ;; esac
    sleep 1
  done
  echo "$state"
}

say "the worked example: a training job"
t0=$(date +%s)
job=$(curl -fs -X POST "$url/training-jobs" -H "$auth" -H 'Content-Type: application/json' -d '{
  "name": "arr-fashion", "dataset": "fashion-mnist", "trainSubset": 2000, "model": "small-cnn",
  "method": "arr", "lambda": 1.0, "divergence": "kl", "attack": {"type": "fgsm", "epsilon": 0.1},
  "epochs": 1, "batchSize": 128, "seed": 7}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
state=$(wait_for "training-jobs/$job" 900)
[ "$state" = SUCCEEDED ] || { curl -s -H "$auth" "$url/training-jobs/$job" >&2; echo "training ended $state" >&2; exit 1; }
train_s=$(( $(date +%s) - t0 ))
model=$(curl -fs -H "$auth" "$url/training-jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["models"][0]["id"])')
curl -fs -H "$auth" -o "$work/model.safetensors" "$url/models/$model/download?format=safetensors"
say "job $job SUCCEEDED in $train_s s; model $model downloaded ($(stat -c %s "$work/model.safetensors") bytes)"

t0=$(date +%s)
eval=$(curl -fs -X POST "$url/evaluations" -H "$auth" -H 'Content-Type: application/json' -d '{
  "modelId": "'"$model"'", "testSubset": 200,
  "attacks": [{"type": "fgsm", "epsilon": 0.1}, {"type": "pgd", "epsilon": 0.1, "steps": 10}]}' \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
state=$(wait_for "evaluations/$eval" 900)
[ "$state" = SUCCEEDED ] || { curl -s -H "$auth" "$url/evaluations/$eval" >&2; echo "evaluation ended $state" >&2; exit 1; }
eval_s=$(( $(date +%s) - t0 ))
curl -fs -H "$auth" "$url/evaluations/$eval/report" >"$work/report.json"
curl -fs -H "$auth" -o "$work/accuracy-vs-epsilon.png" "$url/evaluations/$eval/plots/accuracy-vs-epsilon.png"
head -c 8 "$work/accuracy-vs-epsilon.png" | od -An -tx1 | tr -d ' \n' | grep -qx '89504e470d0a1a0a' || { echo "the chart is not a PNG" >&2; exit 1; }
summary=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("clean %.3f, %s" % (r["cleanAccuracy"], ", ".join("%s %.3f" % (a["label"], a["robustAccuracy"]) for a in r["results"])))' "$work/report.json")
say "evaluation $eval SUCCEEDED in $eval_s s: $summary; chart drawn"

say "restarting the container on the same volumes"
podman stop -t 30 robustlab-check >/dev/null
podman rm robustlab-check >/dev/null
start
again=$(curl -fs -H "$auth" "$url/training-jobs/$job" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["state"], len(j["models"]))')
[ "$again" = "SUCCEEDED 2" ] || [ "${again%% *}" = SUCCEEDED ] || { echo "after the restart the job reads: $again" >&2; exit 1; }
curl -fs -H "$auth" -o "$work/model-again.safetensors" "$url/models/$model/download?format=safetensors"
cmp -s "$work/model.safetensors" "$work/model-again.safetensors" || { echo "the model changed across the restart" >&2; exit 1; }
owners=$(podman exec robustlab-check find /var/lib/robustlab/data /var/lib/robustlab/datasets ! -user robustlab | head -n 5)
[ -z "$owners" ] || { echo "files not owned by robustlab: $owners" >&2; exit 1; }
say "after the restart: the same key works, job $job reads '$again' (state, models), the model downloads byte for byte, every file in the volumes belongs to robustlab"
echo "container-check: PASSED (build, start on empty volumes as robustlab, training ${train_s} s, evaluation ${eval_s} s, restart)"
