#!/usr/bin/env bash
# Installs the zeronas device agent as a systemd service on Raspberry Pi OS / Debian.
#
#   sudo bash scripts/install-agent.sh --host wss://192.168.1.10:8765/agent --pin sha256:HEX --token T [--name kitchen-pi] [--device pi3b]
#   bash scripts/install-agent.sh --dry-run --host ws://h:8765/agent --token T   # prints every action, changes nothing
#   sudo bash scripts/install-agent.sh --uninstall
#
# What it does (idempotent: running it again converges to the same state):
#   1. detects the architecture (aarch64 -> onnxruntime-node; armv7l -> the agent falls back to ort-wasm);
#   2. installs Node.js >= 20 from Debian packages (apt-get install nodejs npm) when it is missing or too old;
#   3. copies the agent to /opt/zeronas and installs production dependencies only (npm ci --omit=dev);
#   4. creates the system user 'zeronas' in the groups for I2C (i2c), vcgencmd (video) and GPIO (gpio) where present;
#   5. writes /etc/zeronas/agent.env (ZERONAS_HOST, ZERONAS_PIN, ZERONAS_TOKEN, ZERONAS_NAME, ZERONAS_DEVICE), mode 0640;
#   6. installs /etc/systemd/system/zeronas-agent.service (Restart=on-failure) and enables and (re)starts it.
set -euo pipefail

PREFIX=/opt/zeronas
ENV_DIR=/etc/zeronas
ENV_FILE="$ENV_DIR/agent.env"
UNIT_FILE=/etc/systemd/system/zeronas-agent.service
SERVICE_USER=zeronas
CACHE_DIR=/var/cache/zeronas
MIN_NODE_MAJOR=20
SOURCE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

HOST_URL=""
TOKEN=""
PIN=""
NAME="$(hostname)"
DEVICE=""
DRY_RUN=0
UNINSTALL=0

usage() {
  sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
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
    run systemctl disable --now zeronas-agent.service || true
    run rm -f "$UNIT_FILE"
    run systemctl daemon-reload
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

# 1. Architecture
MACHINE="$(uname -m)"
case "$MACHINE" in
  aarch64 | arm64) echo "# architecture: $MACHINE (64-bit): onnxruntime-node prebuilt binding available" ;;
  armv7l | armv6l)
    echo "# architecture: $MACHINE (32-bit): onnxruntime-node has no binding; the agent will use ort-wasm (slower)."
    echo "#   For ort-node, install 64-bit Raspberry Pi OS (Pi 3B, 4 and 5 all have 64-bit CPUs)."
    ;;
  x86_64) echo "# architecture: x86_64" ;;
  *) die "unsupported architecture '$MACHINE'" ;;
esac
MODEL="$({ tr -d '\0' </proc/device-tree/model; } 2>/dev/null || true)"
if [ -n "$MODEL" ]; then
  echo "# board: $MODEL"
fi

# 2. Node.js
NODE_MAJOR=0
if command -v node >/dev/null 2>&1; then
  NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
fi
if [ "$NODE_MAJOR" -ge "$MIN_NODE_MAJOR" ]; then
  echo "# Node.js $(node --version) found"
else
  echo "# Node.js >= $MIN_NODE_MAJOR missing (found major $NODE_MAJOR): installing from Debian packages"
  run apt-get update
  run apt-get install -y --no-install-recommends nodejs npm
  if [ "$DRY_RUN" -eq 0 ]; then
    NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$NODE_MAJOR" -ge "$MIN_NODE_MAJOR" ] || die "Debian's nodejs is version $NODE_MAJOR; need >= $MIN_NODE_MAJOR (Debian 13 'trixie' or newer, or NodeSource)"
  fi
fi

# 3. Agent files and production dependencies
run mkdir -p "$PREFIX"
for item in package.json package-lock.json bin agent shared devices; do
  [ -e "$SOURCE_DIR/$item" ] || die "missing $SOURCE_DIR/$item: run this script from a zeronas checkout"
done
run rm -rf "$PREFIX/agent" "$PREFIX/shared" "$PREFIX/devices" "$PREFIX/bin"
run cp -r "$SOURCE_DIR/package.json" "$SOURCE_DIR/package-lock.json" "$SOURCE_DIR/bin" "$SOURCE_DIR/agent" "$SOURCE_DIR/shared" "$SOURCE_DIR/devices" "$PREFIX/"
# onnxruntime-node's install script downloads GPU binaries we never use; the CPU binding ships in the package.
run env ONNXRUNTIME_NODE_INSTALL=skip npm --prefix "$PREFIX" ci --omit=dev --no-audit --no-fund

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
write_file "$ENV_FILE" 0640 "root:$SERVICE_USER" <<EOF
# zeronas agent settings (read by zeronas-agent.service; every ZERONAS_X maps to --x)
ZERONAS_HOST=$HOST_URL
$PIN_LINE
ZERONAS_TOKEN=$TOKEN
ZERONAS_NAME=$NAME
$DEVICE_LINE
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
run systemctl daemon-reload
run systemctl enable zeronas-agent.service
run systemctl restart zeronas-agent.service
echo "# done: follow the agent with 'journalctl -u zeronas-agent -f'"
