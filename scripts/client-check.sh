#!/usr/bin/env bash
# The generated-client check: starts a fresh server (its own H2 database, runs and admin key under
# target/client-check), saves its OpenAPI document, generates two clients from it with openapi-generator
# (typescript-fetch and java with the native library), compiles both as generated, with no hand fixes,
# and runs the README's flow with each one (scripts/client-check/flow.ts and Flow.java): submit a training
# job, poll it, read its models, upload a model, evaluate with every attack type and field, read the
# report, compare two evaluations, cancel a job and an evaluation, and read a 4xx as a problem detail.
#
#   scripts/client-check.sh            # both clients
#   scripts/client-check.sh ts|java    # one of them
#
# Needs: a JDK 17, Node.js 18 or later with npm (typescript comes from the npm registry), Maven Central
# (openapi-generator-cli and the Java client's dependencies) and Fashion-MNIST (dataset-fashion-mnist).
# About 5 minutes on 2 cores, most of it the two short jobs and the evaluations.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
which=${1:-all}
work=$root/target/client-check
generator_version=7.17.0

rm -rf "$work"
mkdir -p "$work"
./mvnw -q -B -DskipTests package   # the jar of this checkout
jar=$(ls target/robustlab-*.jar | grep -v original | head -n 1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
java -jar "$jar" --server.port="$port" \
  --spring.datasource.url="jdbc:h2:file:$work/db;DB_CLOSE_ON_EXIT=FALSE" \
  --robustlab.runs-dir="$work/runs" --robustlab.security.admin-key-file="$work/admin-key" \
  --robustlab.workers.heap=2g --robustlab.workers.threads=2 >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for i in $(seq 1 180); do
  if curl -fs "http://127.0.0.1:$port/actuator/health" >/dev/null 2>&1 && [ -s "$work/admin-key" ]; then break; fi
  if ! kill -0 $server 2>/dev/null; then echo "the server did not start; see $work/server.log" >&2; exit 1; fi
  sleep 1
done
export ROBUSTLAB_URL="http://127.0.0.1:$port"
export ROBUSTLAB_KEY=$(tr -d '\n' <"$work/admin-key")
curl -fs "$ROBUSTLAB_URL/v3/api-docs" -o "$work/openapi.json"
echo "server on $ROBUSTLAB_URL; OpenAPI document in $work/openapi.json" >&2

./mvnw -q -B dependency:copy -Dartifact=org.openapitools:openapi-generator-cli:$generator_version \
  -DoutputDirectory="$work" -Dmdep.stripVersion=true
generate() { # generator, output folder, extra arguments
  local g=$1 out=$2; shift 2
  mkdir -p "$(dirname "$out")"
  java -jar "$work/openapi-generator-cli.jar" generate -i "$work/openapi.json" -g "$g" -o "$out" "$@" >"$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
  grep -E "WARN" "$out.log" >&2 || true
}

if [ "$which" = all ] || [ "$which" = ts ]; then
  echo "== typescript-fetch" >&2
  generate typescript-fetch "$work/ts/generated" --additional-properties=supportsES6=true
  cp scripts/client-check/flow.ts scripts/client-check/tsconfig.json "$work/ts/"
  (cd "$work/ts" && npm install --silent --no-audit --no-fund typescript@5.9 @types/node@20 >/dev/null \
    && npx tsc -p tsconfig.json && node dist/flow.js)
fi

if [ "$which" = all ] || [ "$which" = java ]; then
  echo "== java (native)" >&2
  generate java "$work/java" --library native --api-package org.robustlab.client.api \
    --model-package org.robustlab.client.model --invoker-package org.robustlab.client \
    --group-id org.robustlab --artifact-id robustlab-client --additional-properties=hideGenerationTimestamp=true
  (cd "$work/java" && "$root/mvnw" -q -B -DskipTests package \
    && "$root/mvnw" -q -B dependency:build-classpath -Dmdep.outputFile=cp.txt -Dmdep.includeScope=runtime)
  cp=$work/java/target/classes:$(cat "$work/java/cp.txt")
  mkdir -p "$work/java-flow"
  javac -d "$work/java-flow" -cp "$cp" scripts/client-check/Flow.java
  java -cp "$work/java-flow:$cp" Flow
fi
echo "client check passed ($which)" >&2
