#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries when they are missing (the records store's tests run
# against PGlite and a real PostgreSQL, in a throwaway cluster). Like setup.sh's Chromium: sudo only
# when not root; prints the folder holding initdb, pg_ctl and postgres.
set -euo pipefail

say() { printf '[postgres] %s\n' "$*" >&2; }
shout() { printf '\n[postgres] !!! %s\n\n' "$*" >&2; }

find_bindir() {
  if [ -n "${POSTGRES_BIN_DIR:-}" ] && [ -x "$POSTGRES_BIN_DIR/initdb" ]; then echo "$POSTGRES_BIN_DIR"; return 0; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then pg_config --bindir; return 0; fi
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  done
  return 1
}

if find_bindir; then exit 0; fi

say "installing PostgreSQL from Debian's packages (for the records store's tests)"
sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
    shout "PostgreSQL is missing and this user cannot install it: install Debian's 'postgresql' package or set POSTGRES_BIN_DIR"
    exit 1
  fi
fi
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null; }; then
  shout "could not install PostgreSQL with apt-get; install Debian's 'postgresql' package or set POSTGRES_BIN_DIR"
  exit 1
fi
find_bindir
