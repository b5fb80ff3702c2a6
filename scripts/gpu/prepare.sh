#!/usr/bin/env bash
# Here, before a GPU session: fills the git-ignored folders gpu/ (../shared/gpu: the JNI built for the GPU
# machine's torch, djl-env.sh, make-jre.sh) and gpu-run/ (classes, the ML engine's jars without DJL's CPU
# natives, the GPU test class with JUnit's console launcher, a compact JRE as a .tgz, a Fashion-MNIST
# subset in IDX format, and the worker's task files), which scripts/gpu/run.sh uses there.
#
#   scripts/gpu/prepare.sh [SHARED_GPU_DIR]        (default ../shared/gpu)
#   then, on the device: carry gpu and gpu-run; command: bash scripts/gpu/run.sh
#
# Knobs: TRAIN_IMAGES (20000), TEST_IMAGES (1000), EPOCHS (3), EVAL_POINTS (500).
set -euo pipefail
cd "$(dirname "$0")/../.."
shared="${1:-../shared/gpu}"
TRAIN_IMAGES="${TRAIN_IMAGES:-20000}"; TEST_IMAGES="${TEST_IMAGES:-1000}"; EPOCHS="${EPOCHS:-3}"; EVAL_POINTS="${EVAL_POINTS:-500}"
fashion=/usr/share/datasets/fashion-mnist
[ -d "$fashion" ] || { echo "needs Debian's dataset-fashion-mnist ($fashion)" >&2; exit 2; }

./mvnw -q -B -ntp test-compile
rm -rf gpu gpu-run
cp -r "$shared" gpu && chmod -R u+w gpu
mkdir -p gpu-run/lib gpu-run/test-classes/org/robustlab/ml gpu-run/test-classes/org/robustlab/testing gpu-run/tasks
cp -r target/classes gpu-run/classes
# the benchmarks (src/bench/java) compile with the tests
cp -r target/test-classes/org/robustlab/ml/bench gpu-run/test-classes/org/robustlab/ml/
cp target/test-classes/org/robustlab/ml/GpuEngineTest*.class gpu-run/test-classes/org/robustlab/ml/
cp target/test-classes/org/robustlab/testing/*.class gpu-run/test-classes/org/robustlab/testing/
# The ML engine's jars only (the whole service's are over the 64 MiB a run may carry), without DJL's natives.
./mvnw -q -B -ntp dependency:copy-dependencies -DincludeScope=test -DoutputDirectory=gpu-run/lib \
  -DincludeArtifactIds=api,pytorch-engine,gson,jna,commons-compress,slf4j-api,logback-classic,logback-core,assertj-core,jackson-databind,jackson-core,jackson-annotations
./mvnw -q -B -ntp dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:6.0.3 -DoutputDirectory=gpu-run/lib
# The JRE (there is no Java there), packed: unpacked it is ~45 MiB, packed ~30.
bash gpu/make-jre.sh gpu-run/jre "gpu-run/classes:gpu-run/lib/*" >/dev/null
tar czf gpu-run/jre.tgz -C gpu-run jre && rm -rf gpu-run/jre
# the training task holds 1,000 of its images out for validation, so the subset has that many more
python3 scripts/gpu/fashion_subset.py "$fashion" gpu-run/data/fashion-mnist "$((TRAIN_IMAGES + 1000))" "$TEST_IMAGES"
# The worker's task files, made by the service's own request-to-plan code.
./mvnw -q -B -ntp dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test >/dev/null
java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.robustlab.runner.GpuTaskFiles \
  gpu-run/tasks "$TRAIN_IMAGES" "$EPOCHS" "$EVAL_POINTS" resnet18
du -sh gpu gpu-run
tracked=$( (git ls-files -z 2>/dev/null | xargs -0 -r du -cb 2>/dev/null | tail -n 1 | cut -f1) || true); tracked=${tracked:-0}
total=$(( tracked + $(du -sb gpu | cut -f1) + $(du -sb gpu-run | cut -f1) ))
echo "tracked files $((tracked >> 20)) MiB; with gpu/ and gpu-run/: $((total >> 20)) MiB (the limit is 64)"
