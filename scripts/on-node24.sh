#!/usr/bin/env bash
# Runs a command with Node 24 LTS (from .node24/, installed by `scripts/setup.sh --browser`) first on
# PATH, so the command and every `node` it starts (the CLI, npm start, the built entry points) are
# Node 24. Where .node24/ could not be installed (not Linux x86-64) it says so and runs nothing.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$root/.node24/bin/node" ]; then
  printf '\n[on-node24] !!! no Node 24 in .node24/ (see scripts/setup.sh): skipped: %s\n\n' "$*" >&2
  exit 0
fi
export PATH="$root/.node24/bin:$PATH"
printf '[on-node24] %s on Node %s\n' "$*" "$(node --version)" >&2
exec "$@"
