#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs a Chromium interop test under node's test runner: the files given as
# arguments (relative to this directory), test-rtcbin-chromium.mjs by default.
# Installs playwright-core from the lock file first when it is missing (a
# fresh clone needs the npm registry for that, and nothing else).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node > /dev/null; then
  echo "FAIL: node is not installed"; exit 1
fi
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund
fi
if [ $# -eq 0 ]; then
  set -- test-rtcbin-chromium.mjs
fi
exec node --test --test-reporter=spec "$@"
