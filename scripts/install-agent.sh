#!/usr/bin/env bash
# Installs the zeronas device agent as a systemd service on Raspberry Pi OS / Debian.
#
#   sudo bash install-agent.sh --bundle zeronas-agent-arm64.tgz --host wss://192.168.1.10:8765/agent --pin sha256:HEX --token T [--name kitchen-pi] [--device pi3b]
#   bash install-agent.sh --dry-run --bundle zeronas-agent-arm64.tgz --host ws://h:8765/agent --token T   # the plan, changes nothing
#   sudo bash install-agent.sh --uninstall
#
# --bundle FILE  the offline agent package made on a workstation by `zeronas agent-bundle --arch <arch>` (arch: this
#                device's `dpkg --print-architecture`; no npm, no compiler, no network on the device). Without it the
#                agent is installed from this checkout with `npm ci --omit=dev` (the whole project's dependencies:
#                ~500 MB, compiles better-sqlite3).
# --host URL     the host's agent address, ws(s)://HOST:PORT/agent: orchestrate prints it ("host listening on ...",
#                and a ready install line while it waits for agents); the port is 8765 unless --port changed it.
# --token T      what the agent presents to the host: `zeronas token` on the host prints it.
# --pin sha256:HEX  with a wss:// host: its certificate's fingerprint, printed by `zeronas token --pin` on the host.
# --name NAME    the name the host shows and `--targets name:NAME` selects (default: this machine's hostname).
# --device ID    the device profile (pi3b, pi4, pi5, ...; default: recognised from the hardware). Checked against
#                the agent's own profiles before anything changes.
# --no-systemd   containers and chroots: write the unit file but do not call systemctl; start the agent with the
#                unit's ExecStart line and the variables of agent.env (the script prints how).
# --force-device use --device even where it does not describe the hardware (an emulated Pi: scripts/pi-emulation/).
#
# What it does (idempotent: running it again converges to the same state):
#   1. reads the userland architecture (dpkg --print-architecture, getconf LONG_BIT), which decides the runtime: a
#      32-bit Raspberry Pi OS on a 64-bit kernel says aarch64 in uname -m but cannot load onnxruntime-node;
#   2. checks Node.js >= 20 before changing anything (and in --dry-run): Debian 13 "trixie" and newer have it as
#      the nodejs package, which is installed when missing; otherwise it stops and prints how to get Node 20;
#   3. installs the agent in /opt/zeronas (from --bundle, or from this checkout with npm);
#   4. creates the system user 'zeronas' in the groups for I2C (i2c), vcgencmd (video) and GPIO (gpio) where present;
#   5. writes /etc/zeronas/agent.env (ZERONAS_HOST, ZERONAS_PIN, ZERONAS_TOKEN, ZERONAS_NAME, ZERONAS_DEVICE), mode 0640;
#   6. installs /etc/systemd/system/zeronas-agent.service (Restart=on-failure) and enables and (re)starts it.
#
# The installed agent is /opt/zeronas/bin/zeronas-agent.js, run by node (nothing is put on PATH); the script ends by
# printing how to run it by hand with the service's settings (e.g. to watch its output).
set -euo pipefail

PREFIX=/opt/zeronas
ENV_DIR=/etc/zeronas
ENV_FILE="$ENV_DIR/agent.env"
UNIT_FILE=/etc/systemd/system/zeronas-agent.service
SERVICE_USER=zeronas
CACHE_DIR=/var/cache/zeronas
MIN_NODE_MAJOR=20
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Tests point this at a recorded os-release to check the advice for other distributions.
OS_RELEASE="${ZERONAS_INSTALL_OS_RELEASE:-/etc/os-release}"

HOST_URL=""
TOKEN=""
PIN=""
NAME="$(uname -n)"
DEVICE=""
DRY_RUN=0
UNINSTALL=0
BUNDLE=""
USE_SYSTEMD=1
FORCE_DEVICE=0

usage() {
  # The comment block at the top of this file.
  sed -n '2,/^set -euo pipefail/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

die() {
  echo "install-agent: error: $*" >&2
  exit 1
}

# Prints an action; runs it unless --dry-run.
run() {
  echo "+ $*"
  if [ "$DRY_RUN" -eq 0 ]; then
    "$@"
  fi
}

# Writes stdin to a file (mode, owner:group) unless --dry-run, in which case it prints the content.
write_file() {
  local path="$1" mode="$2" owner="$3" content
  content="$(cat)"
  echo "+ write $path (mode $mode, owner $owner)"
  if [ "$DRY_RUN" -eq 1 ]; then
    printf '%s\n' "$content" | sed -e 's/^\(ZERONAS_TOKEN=\).*/\1<hidden>/' -e 's/^/    | /'
    return
  fi
  printf '%s\n' "$content" >"$path.tmp"
  chmod "$mode" "$path.tmp"
  chown "$owner" "$path.tmp"
  mv "$path.tmp" "$path"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --host) HOST_URL="${2:-}"; shift 2 ;;
    --token) TOKEN="${2:-}"; shift 2 ;;
    --pin) PIN="${2:-}"; shift 2 ;;
    --name) NAME="${2:-}"; shift 2 ;;
    --device) DEVICE="${2:-}"; shift 2 ;;
    --force-device) FORCE_DEVICE=1; shift ;;
    --bundle) BUNDLE="${2:-}"; shift 2 ;;
    --no-systemd) USE_SYSTEMD=0; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo), or use --dry-run to see the plan"
fi
if [ "$DRY_RUN" -eq 1 ]; then
  echo "# dry run: printing every action, changing nothing"
fi

if [ "$UNINSTALL" -eq 1 ]; then
  echo "# uninstalling the zeronas agent"
  if [ -f "$UNIT_FILE" ] || [ "$DRY_RUN" -eq 1 ]; then
    if [ "$USE_SYSTEMD" -eq 1 ]; then
      run systemctl disable --now zeronas-agent.service || true
    fi
    run rm -f "$UNIT_FILE"
    if [ "$USE_SYSTEMD" -eq 1 ]; then
      run systemctl daemon-reload
    fi
  fi
  run rm -rf "$PREFIX" "$CACHE_DIR"
  run rm -f "$ENV_FILE"
  run rmdir --ignore-fail-on-non-empty "$ENV_DIR" || true
  if id "$SERVICE_USER" >/dev/null 2>&1 || [ "$DRY_RUN" -eq 1 ]; then
    run userdel "$SERVICE_USER" || true
  fi
  echo "# done (Node.js is left installed)"
  exit 0
fi

[ -n "$HOST_URL" ] || die "--host ws://HOST:PORT/agent is required"
case "$HOST_URL" in
  ws://* | wss://*) ;;
  *) die "--host '$HOST_URL' must start with ws:// or wss://" ;;
esac
[ -n "$TOKEN" ] || die "--token is required (the host prints it)"
if [ -n "$PIN" ]; then
  [[ "$PIN" =~ ^sha256:[0-9a-fA-F]{64}$ ]] || die "--pin '$PIN' is not a certificate fingerprint (sha256: and 64 hex digits, as the host prints it)"
  case "$HOST_URL" in wss://*) ;; *) die "--pin needs a wss:// --host" ;; esac
fi
case "$TOKEN$NAME$DEVICE" in
  *[[:space:]\"\'\\]*) die "--token, --name and --device must not contain spaces, quotes or backslashes" ;;
esac

# 1. Architecture of the userland (what the agent's binaries must match), and of the kernel for the record.
KERNEL_ARCH="$(uname -m)"
USERLAND_ARCH=""
if command -v dpkg >/dev/null 2>&1; then
  USERLAND_ARCH="$(dpkg --print-architecture)"
else
  # No dpkg (not Debian): the kernel's word, corrected by the userland's word size.
  case "$KERNEL_ARCH" in
    aarch64 | arm64) USERLAND_ARCH=arm64 ;;
    armv7l | armv6l) USERLAND_ARCH=armhf ;;
    x86_64) USERLAND_ARCH=amd64 ;;
    *) USERLAND_ARCH="$KERNEL_ARCH" ;;
  esac
  if [ "$USERLAND_ARCH" = arm64 ] && [ "$(getconf LONG_BIT 2>/dev/null || echo 64)" = 32 ]; then
    USERLAND_ARCH=armhf
  fi
fi
LONG_BIT="$(getconf LONG_BIT 2>/dev/null || echo '?')"
case "$USERLAND_ARCH" in
  arm64) BUNDLE_ARCH=arm64; echo "# userland: arm64 ($LONG_BIT-bit, kernel $KERNEL_ARCH): onnxruntime-node's prebuilt binding loads here (runtime ort-node)" ;;
  armhf)
    BUNDLE_ARCH=armhf
    echo "# userland: armhf ($LONG_BIT-bit, kernel $KERNEL_ARCH): onnxruntime-node has no 32-bit ARM binding; the agent uses ort-wasm (onnxruntime-web, slower)."
    echo "#   For ort-node, install 64-bit Raspberry Pi OS (Pi 3B, 4 and 5 all have 64-bit CPUs)."
    ;;
  amd64) BUNDLE_ARCH=x64; echo "# userland: amd64 ($LONG_BIT-bit, kernel $KERNEL_ARCH)" ;;
  armel) die "userland armel (ARMv6 soft-float, e.g. Pi Zero/1 with Raspberry Pi OS armel): Node.js 20 does not run there" ;;
  *) die "unsupported userland architecture '$USERLAND_ARCH' (kernel $KERNEL_ARCH): the agent runs on arm64, armhf and amd64" ;;
esac
MODEL="$({ tr -d '\0' </proc/device-tree/model; } 2>/dev/null || true)"
if [ -n "$MODEL" ]; then
  echo "# board: $MODEL"
fi

# 2. Node.js >= 20, checked before anything changes.
OS_ID=""
OS_CODENAME=""
OS_VERSION_ID=""
if [ -r "$OS_RELEASE" ]; then
  OS_ID="$(sed -n 's/^ID=//p' "$OS_RELEASE" | tr -d '"')"
  OS_CODENAME="$(sed -n 's/^VERSION_CODENAME=//p' "$OS_RELEASE" | tr -d '"')"
  OS_VERSION_ID="$(sed -n 's/^VERSION_ID=//p' "$OS_RELEASE" | tr -d '"')"
fi
# The exact way to get Node 20 on this system, for the message that stops the install.
node_advice() {
  case "$OS_CODENAME" in
    bookworm | bullseye | buster)
      if [ "$USERLAND_ARCH" = armhf ]; then
        echo "Debian/Raspberry Pi OS '$OS_CODENAME' ships Node $( [ "$OS_CODENAME" = bookworm ] && echo 18 || echo '12-16' ). On armhf use the official armv7l build:"
        echo "  curl -fsSLO https://nodejs.org/dist/latest-v20.x/SHASUMS256.txt && V=\$(grep -o 'node-v20[^ ]*-linux-armv7l.tar.xz' SHASUMS256.txt) && curl -fsSLO https://nodejs.org/dist/latest-v20.x/\$V && sha256sum --ignore-missing -c SHASUMS256.txt && sudo tar -xJf \$V -C /usr/local --strip-components=1"
      else
        echo "Debian/Raspberry Pi OS '$OS_CODENAME' ships Node $( [ "$OS_CODENAME" = bookworm ] && echo 18 || echo '12-16' ). Install Node 20 from NodeSource:"
        echo "  curl -fsSL https://deb.nodesource.com/setup_20.x | sudo -E bash - && sudo apt-get install -y nodejs"
      fi
      echo "or upgrade to Raspberry Pi OS / Debian 13 'trixie', whose nodejs package is Node 20."
      ;;
    *) echo "Install Node.js 20 or newer (https://nodejs.org/en/download, or your distribution's nodejs package if it is >= 20), then run this script again." ;;
  esac
}
NODE_MAJOR=0
if command -v node >/dev/null 2>&1; then
  NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
fi
INSTALL_NODE=0
if [ "$NODE_MAJOR" -ge "$MIN_NODE_MAJOR" ]; then
  echo "# Node.js $(node --version) found"
else
  # Debian's own package is enough from trixie (13) on; older releases need another source.
  DEBIAN_HAS_NODE20=0
  case "$OS_CODENAME" in
    trixie | forky | sid) DEBIAN_HAS_NODE20=1 ;;
  esac
  if [ "$OS_ID" = debian ] || [ "$OS_ID" = raspbian ]; then
    if [[ "$OS_VERSION_ID" =~ ^[0-9]+$ ]] && [ "$OS_VERSION_ID" -ge 13 ]; then DEBIAN_HAS_NODE20=1; fi
  fi
  if [ "$DEBIAN_HAS_NODE20" -eq 1 ] && command -v apt-get >/dev/null 2>&1; then
    echo "# Node.js >= $MIN_NODE_MAJOR missing (found major $NODE_MAJOR): installing Debian's nodejs package ('$OS_CODENAME' has Node 20)"
    INSTALL_NODE=1
  else
    echo "install-agent: error: Node.js >= $MIN_NODE_MAJOR is needed (found $( [ "$NODE_MAJOR" -eq 0 ] && echo none || echo "major $NODE_MAJOR" )); nothing was changed." >&2
    node_advice >&2
    exit 1
  fi
fi

# 3. The agent: an offline bundle checked against this userland before anything changes, or this checkout.
BUNDLE_DIR=""
cleanup() {
  if [ -n "$BUNDLE_DIR" ]; then rm -rf "$BUNDLE_DIR"; fi
}
trap cleanup EXIT
if [ -n "$BUNDLE" ]; then
  [ -f "$BUNDLE" ] || die "--bundle '$BUNDLE' is not a file (make one with: zeronas agent-bundle --arch $BUNDLE_ARCH)"
  BUNDLE_DIR="$(mktemp -d)"
  tar -xzf "$BUNDLE" -C "$BUNDLE_DIR" zeronas-agent/package.json 2>/dev/null || die "--bundle '$BUNDLE' is not an agent bundle (no zeronas-agent/package.json inside)"
  GOT_ARCH="$(sed -n 's/^ *"arch": "\([a-z0-9]*\)",*$/\1/p' "$BUNDLE_DIR/zeronas-agent/package.json" | head -n 1)"
  [ "$GOT_ARCH" = "$BUNDLE_ARCH" ] || die "--bundle '$BUNDLE' is for '${GOT_ARCH:-unknown}', this userland is $USERLAND_ARCH: make one with zeronas agent-bundle --arch $BUNDLE_ARCH"
  echo "# agent: bundle $BUNDLE ($GOT_ARCH), installed without npm or network"
else
  for item in package.json package-lock.json bin agent shared devices; do
    [ -e "$SOURCE_DIR/$item" ] || die "missing $SOURCE_DIR/$item: give --bundle FILE (zeronas agent-bundle --arch $BUNDLE_ARCH), or run this script from a zeronas checkout"
  done
  echo "# agent: from the checkout $SOURCE_DIR with npm ci (the whole project's dependencies; --bundle is much lighter)"
fi

# --device, checked against the agent's own device profiles before anything changes: an unknown one would make the
# service fail at every start (Restart=on-failure). The bundle's manifest lists them (zeronas agent-bundle); a
# checkout has devices/<id>.json, of which a Node agent takes those for node that are not explicit-only (replay).
known_devices() {
  if [ -n "$BUNDLE" ]; then
    sed -n '/"deviceProfiles": \[/,/\]/s/^ *"\([a-z0-9-]*\)",\{0,1\}$/\1/p' "$BUNDLE_DIR/zeronas-agent/package.json"
  else
    local f
    for f in "$SOURCE_DIR"/devices/*.json; do
      if grep -q '"environment": "node"' "$f" && ! grep -q '"isExplicitOnly": true' "$f"; then basename "$f" .json; fi
    done
  fi
}
if [ -n "$DEVICE" ]; then
  KNOWN_DEVICES="$(known_devices | tr '\n' ' ')"
  KNOWN_DEVICES="${KNOWN_DEVICES% }"
  if [ -z "$KNOWN_DEVICES" ]; then
    echo "# --device $DEVICE: not checked (the bundle does not list its device profiles: made by an older zeronas)"
  elif [[ " $KNOWN_DEVICES " != *" $DEVICE "* ]]; then
    die "--device '$DEVICE' is not a device profile of this agent; known: ${KNOWN_DEVICES// /, } (or leave --device out: the agent recognises the hardware)"
  fi
fi

if [ "$INSTALL_NODE" -eq 1 ]; then
  run apt-get update
  run apt-get install -y --no-install-recommends nodejs
  if [ "$DRY_RUN" -eq 0 ]; then
    NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$NODE_MAJOR" -ge "$MIN_NODE_MAJOR" ] || die "Debian's nodejs is version $NODE_MAJOR; need >= $MIN_NODE_MAJOR. $(node_advice)"
  fi
fi

INSTALL_START=$(date +%s)
run mkdir -p "$PREFIX"
if [ -n "$BUNDLE" ]; then
  run rm -rf "$PREFIX/agent" "$PREFIX/shared" "$PREFIX/devices" "$PREFIX/bin" "$PREFIX/node_modules" "$PREFIX/package.json" "$PREFIX/package-lock.json"
  run tar -xzf "$BUNDLE" -C "$PREFIX" --strip-components=1 --no-same-owner
else
  if [ "$INSTALL_NODE" -eq 1 ]; then
    run apt-get install -y --no-install-recommends npm
  fi
  run rm -rf "$PREFIX/agent" "$PREFIX/shared" "$PREFIX/devices" "$PREFIX/bin"
  run cp -r "$SOURCE_DIR/package.json" "$SOURCE_DIR/package-lock.json" "$SOURCE_DIR/bin" "$SOURCE_DIR/agent" "$SOURCE_DIR/shared" "$SOURCE_DIR/devices" "$PREFIX/"
  # onnxruntime-node's install script downloads GPU binaries we never use; the CPU binding ships in the package.
  run env ONNXRUNTIME_NODE_INSTALL=skip npm --prefix "$PREFIX" ci --omit=dev --no-audit --no-fund
fi
if [ "$DRY_RUN" -eq 0 ]; then
  echo "# agent installed in $(($(date +%s) - INSTALL_START)) s: $(du -sh "$PREFIX" | cut -f1) in $PREFIX, of which node_modules $(du -sh "$PREFIX/node_modules" | cut -f1)"
fi

# 4. Service user and groups
GROUPS_WANTED=""
for g in i2c video gpio; do
  if getent group "$g" >/dev/null 2>&1; then
    GROUPS_WANTED="${GROUPS_WANTED:+$GROUPS_WANTED,}$g"
  else
    echo "# group '$g' does not exist here: skipped"
  fi
done
if id "$SERVICE_USER" >/dev/null 2>&1; then
  echo "# user '$SERVICE_USER' exists"
else
  run useradd --system --home-dir "$CACHE_DIR" --shell /usr/sbin/nologin "$SERVICE_USER"
fi
if [ -n "$GROUPS_WANTED" ]; then
  run usermod -a -G "$GROUPS_WANTED" "$SERVICE_USER"
fi
run mkdir -p "$CACHE_DIR"
run chown "$SERVICE_USER:$SERVICE_USER" "$CACHE_DIR"

# 5. Environment file (token readable by root and the service group only)
run mkdir -p "$ENV_DIR"
PIN_LINE="# ZERONAS_PIN=sha256:...  (unset: a wss:// host's certificate is checked against the system CAs)"
[ -n "$PIN" ] && PIN_LINE="ZERONAS_PIN=$PIN"
DEVICE_LINE="# ZERONAS_DEVICE=pi3b  (unset: recognised from the hardware)"
[ -n "$DEVICE" ] && DEVICE_LINE="ZERONAS_DEVICE=$DEVICE"
FORCE_LINE="# ZERONAS_FORCE_DEVICE=true  (only for hardware the device profile does not describe, e.g. an emulated Pi)"
[ "$FORCE_DEVICE" -eq 1 ] && FORCE_LINE="ZERONAS_FORCE_DEVICE=true"
write_file "$ENV_FILE" 0640 "root:$SERVICE_USER" <<EOF
# zeronas agent settings (read by zeronas-agent.service; every ZERONAS_X maps to --x)
ZERONAS_HOST=$HOST_URL
$PIN_LINE
ZERONAS_TOKEN=$TOKEN
ZERONAS_NAME=$NAME
$DEVICE_LINE
$FORCE_LINE
ZERONAS_CACHE_DIR=$CACHE_DIR/models
EOF

# 6. systemd unit
NODE_BIN="$(command -v node || echo /usr/bin/node)"
write_file "$UNIT_FILE" 0644 root:root <<EOF
[Unit]
Description=zeronas device agent (measures ONNX models for a zeronas host)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
User=$SERVICE_USER
EnvironmentFile=$ENV_FILE
WorkingDirectory=$PREFIX
ExecStart=$NODE_BIN $PREFIX/bin/zeronas-agent.js
Restart=on-failure
RestartSec=5
KillSignal=SIGTERM
TimeoutStopSec=20
NoNewPrivileges=true

[Install]
WantedBy=multi-user.target
EOF
# The agent by hand, as the unit runs it (its settings from agent.env, as the service user), in a root shell.
BY_HAND="cd $PREFIX && set -a && . $ENV_FILE && set +a && runuser -u $SERVICE_USER -- $NODE_BIN $PREFIX/bin/zeronas-agent.js"
if [ "$USE_SYSTEMD" -eq 0 ]; then
  echo "# --no-systemd: unit written, systemctl not called. Start the agent as the unit would:"
  echo "#   $BY_HAND"
  exit 0
fi
run systemctl daemon-reload
run systemctl enable zeronas-agent.service
run systemctl restart zeronas-agent.service
echo "# done: follow the agent with 'journalctl -u zeronas-agent -f'"
echo "# by hand (its output on your terminal): sudo systemctl stop zeronas-agent, then as root: $BY_HAND"
echo "#   (its options: $NODE_BIN $PREFIX/bin/zeronas-agent.js --help)"
