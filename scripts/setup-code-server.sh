#!/usr/bin/env bash
# `npm run setup:e2e`: installs what the end-to-end tests and `npm run editor` need to run the
# extension in real VS Code without a desktop or GitHub access — code-server (VS Code in the
# browser, from the npm registry), Debian's chromium (driven by the project's playwright-core) and
# the build tools code-server's native modules compile with.
#
# Idempotent: every step checks first, so a second run takes a second. code-server goes into
# ${STAND_TOOLS_DIR:-~/.cache/stand-vscode}/code-server-<version>, shared by every clone.
# Prints the path of code-server's entry script on its last line.
set -euo pipefail

CODE_SERVER_VERSION=4.100.3 # = VS Code 1.100.3, the last code-server whose npm package runs on Node 20
TOOLS_DIR="${STAND_TOOLS_DIR:-$HOME/.cache/stand-vscode}"
INSTALL_DIR="$TOOLS_DIR/code-server-$CODE_SERVER_VERSION"
PACKAGE_DIR="$INSTALL_DIR/node_modules/code-server"
ENTRY="$PACKAGE_DIR/out/node/entry.js"

started=$SECONDS
say() { echo "[setup:e2e ${SECONDS}s] $*" >&2; }

# --- System packages -----------------------------------------------------------------------------
# chromium: the browser the tests drive. ripgrep: stands in for the rg binary @vscode/ripgrep would
# download from GitHub. build-essential, python3, libkrb5-dev: node-gyp builds of code-server's
# native modules (node-pty, kerberos, argon2, ...). fonts-dejavu-core: legible screenshots.
missing=()
for package in chromium ripgrep libkrb5-dev build-essential python3 fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get install ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
  echo "code-server $CODE_SERVER_VERSION needs Node 20, found $(node --version)" >&2
  exit 1
fi

# --- code-server ---------------------------------------------------------------------------------
installed() {
  [ -f "$ENTRY" ] &&
    [ -x "$PACKAGE_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] &&
    [ -f "$PACKAGE_DIR/lib/vscode/node_modules/node-pty/build/Release/pty.node" ] &&
    [ -f "$INSTALL_DIR/.complete" ]
}

if installed; then
  say "code-server $CODE_SERVER_VERSION already in $INSTALL_DIR"
else
  # Install into a scratch folder and rename it at the end, so an interrupted run never leaves a
  # half-installed code-server that the check above would accept.
  scratch="$TOOLS_DIR/.install-$$"
  rm -rf "$scratch"
  mkdir -p "$scratch/tmp" "$TOOLS_DIR"
  trap 'rm -rf "$scratch"' EXIT

  export npm_config_unsafe_perm=true           # as root, code-server's postinstall refuses to run without it
  export npm_config_yes=true                   # node-pty's postinstall runs `npx node-gyp`; `yes=false` would abort it
  export npm_config_strict_allow_scripts=false # npm 11: dependencies' install scripts must run
  export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
  # node-gyp downloads Node's headers from nodejs.org unless it is pointed at installed ones.
  [ -f /usr/include/node/node.h ] && export npm_config_nodedir=/usr
  export TMPDIR="$scratch/tmp"
  # code-server's postinstall writes its config under $HOME: keep that in the scratch folder.
  export XDG_CONFIG_HOME="$scratch/xdg/config" XDG_DATA_HOME="$scratch/xdg/data"
  export XDG_CACHE_HOME="$scratch/xdg/cache" XDG_STATE_HOME="$scratch/xdg/state"

  # @vscode/ripgrep's postinstall downloads rg from GitHub, but looks in
  # $TMPDIR/vscode-ripgrep-cache-<package version>/ first: seed that with Debian's rg under the
  # asset name it expects. Both versions are read from the packages themselves.
  say "reading code-server $CODE_SERVER_VERSION's pinned @vscode/ripgrep"
  (cd "$scratch/tmp" && npm pack --silent "code-server@$CODE_SERVER_VERSION" >/dev/null &&
    tar xzf "code-server-$CODE_SERVER_VERSION.tgz" package/lib/vscode/npm-shrinkwrap.json)
  ripgrep_package=$(node -p "require('$scratch/tmp/package/lib/vscode/npm-shrinkwrap.json').packages['node_modules/@vscode/ripgrep'].version")
  (cd "$scratch/tmp" && rm -rf package && npm pack --silent "@vscode/ripgrep@$ripgrep_package" >/dev/null &&
    tar xzf "vscode-ripgrep-$ripgrep_package.tgz" package/lib/postinstall.js)
  ripgrep_release=$(sed -n "s/^const VERSION = '\(.*\)';/\1/p" "$scratch/tmp/package/lib/postinstall.js")
  case "$(uname -m)" in
    x86_64) ripgrep_target=x86_64-unknown-linux-musl ;;
    aarch64) ripgrep_target=aarch64-unknown-linux-musl ;;
    *) echo "no ripgrep asset name known for $(uname -m)" >&2; exit 1 ;;
  esac
  ripgrep_cache="$TMPDIR/vscode-ripgrep-cache-$ripgrep_package"
  mkdir -p "$ripgrep_cache" "$scratch/tmp/rg"
  cp /usr/bin/rg "$scratch/tmp/rg/rg"
  tar czf "$ripgrep_cache/ripgrep-$ripgrep_release-$ripgrep_target.tar.gz" -C "$scratch/tmp/rg" rg
  rm -rf "$scratch/tmp/package" "$scratch"/tmp/*.tgz

  # A plain install: every lifecycle script runs (argon2 and kerberos fall back to node-gyp
  # builds against the local headers, ripgrep takes the seeded download).
  say "npm install code-server@$CODE_SERVER_VERSION (about a minute)"
  echo '{ "name": "stand-code-server", "private": true }' >"$scratch/package.json"
  if ! (cd "$scratch" && npm install --no-save --foreground-scripts "code-server@$CODE_SERVER_VERSION") >"$scratch/install.log" 2>&1; then
    tail -40 "$scratch/install.log" >&2
    echo "code-server install failed (log above)" >&2
    exit 1
  fi

  # Every native module code-server loads on Linux must load under this Node.
  (cd "$scratch/node_modules/code-server" && node -e '
    for (const name of ["node-pty", "@vscode/spdlog", "native-watchdog", "kerberos", "@parcel/watcher"]) require("./lib/vscode/node_modules/" + name);
    require("argon2");')
  "$scratch/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" --version >/dev/null

  rm -rf "$scratch/tmp" "$scratch/xdg" "$INSTALL_DIR"
  touch "$scratch/.complete"
  mv "$scratch" "$INSTALL_DIR"
  trap - EXIT
  installed || { echo "code-server install is incomplete in $INSTALL_DIR" >&2; exit 1; }
  say "code-server $CODE_SERVER_VERSION installed in $INSTALL_DIR"
fi

say "done in $((SECONDS - started))s"
echo "$ENTRY"
