#!/usr/bin/env bash
# One-command setup for a fresh machine: Chromium for the browser tests and
# redis-server for the training-queue tests (when they can be installed), the
# npm dependencies, and a build of the app.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: install Chromium (Debian: apt-get install chromium) for the browser tests" >&2
  fi
fi
# The training queue (BullMQ) runs on Redis: the worker-machine tests start a
# private redis-server of their own (test/helpers/redis.ts); nothing here
# starts or configures the system's service.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
  else
    echo "note: install redis-server (Debian: apt-get install redis-server) for the worker-machine tests" >&2
  fi
fi
# onnxruntime-node (the fast inference engine, an optionalDependency) ships
# its CPU binaries in the npm package; its install script would also fetch CUDA
# binaries from outside the npm registry, which is skipped here.
ONNXRUNTIME_NODE_INSTALL=skip npm ci
npm run build
