#!/usr/bin/env bash
# The Raspberry Pi journey under emulation (npm run test:pi; opt-in, root, tens of minutes the first time):
#   1. builds or reuses trixie userlands for arm64 (64-bit Raspberry Pi OS) and armhf (32-bit), buildUserland.sh;
#   2. makes the offline agent bundles on this machine (zeronas agent-bundle --arch arm64|armhf);
#   3. installs each in its userland with scripts/install-agent.sh --bundle --no-systemd (fresh /opt/zeronas), timed;
#   4. starts each agent as the unit would (its ExecStart, WorkingDirectory, User and EnvironmentFile);
#   5. runs `orchestrate --targets pi4-emu,pi3b-emu` on this machine (arm64 agent as pi4, onnxruntime-node; armhf
#      agent as pi3b, onnxruntime-web wasm) to completion, and checks that its summary labels both targets emulated.
#
#   sudo npm run test:pi                       # or: sudo bash scripts/pi-emulation/runLab.sh [--arches arm64,armhf]
#
# Everything the agents measure is the emulator's timing (100-360x slower than the device): the lab checks that the
# journey works, not how fast a Pi is. Userlands and lab folders live under /var/cache/zeronas-pi (outside the repo).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE_ROOT="${ZERONAS_PI_CACHE:-/var/cache/zeronas-pi}"
PORT="${ZERONAS_LAB_PORT:-18765}"
ARCHES="arm64,armhf"
while [ $# -gt 0 ]; do
  case "$1" in
    --arches) ARCHES="${2:-}"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo pipefail/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "runLab: error: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "runLab: error: run as root (chroot, mount, debootstrap): sudo npm run test:pi" >&2; exit 1; }

LAB="$CACHE_ROOT/lab-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$LAB"
LAB_START=$(date +%s)
echo "# lab folder: $LAB"

# arm64 plays a Pi 4 (64-bit OS, ort-node); armhf a Pi 3B on 32-bit Raspberry Pi OS (ort-wasm).
profile_of() { case "$1" in arm64) echo pi4 ;; armhf) echo pi3b ;; esac; }

MOUNTED=()
AGENT_PIDS=()
HOST_PID=""
cleanup() {
  for pid in "${AGENT_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${AGENT_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$HOST_PID" ]; then kill "$HOST_PID" 2>/dev/null || true; fi
  for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do umount "${MOUNTED[$i]}" 2>/dev/null || umount -l "${MOUNTED[$i]}" || true; done
}
trap cleanup EXIT

mount_in() {
  local what="$1" where="$2"
  shift 2
  if ! mountpoint -q "$where"; then
    mount "$@" "$what" "$where"
    MOUNTED+=("$where")
  fi
}

IFS=',' read -r -a ARCH_LIST <<<"$ARCHES"
TARGETS=()
declare -A INSTALL_S NODE_MODULES_MB PREFIX_MB
for arch in "${ARCH_LIST[@]}"; do
  profile_of "$arch" >/dev/null || { echo "runLab: error: --arches takes arm64 and/or armhf, got '$arch'" >&2; exit 2; }
  bash "$REPO/scripts/pi-emulation/buildUserland.sh" "$arch" --cache-root "$CACHE_ROOT"
  node "$REPO/bin/zeronas.js" agent-bundle --arch "$arch" --out "$LAB/zeronas-agent-$arch.tgz"
  TARGETS+=("$(profile_of "$arch")-emu")
done

export ZERONAS_CONFIG_DIR="$LAB/config"
TOKEN="$(node "$REPO/bin/zeronas.js" token)"
HOST_URL="ws://127.0.0.1:$PORT/agent"

for arch in "${ARCH_LIST[@]}"; do
  root="$CACHE_ROOT/$arch"
  profile="$(profile_of "$arch")"
  # No /sys: this machine's x86 sysfs crashes onnxruntime's CPU detection (pytorch cpuinfo) in the arm64 userland
  # (SIGSEGV at import). The agent then reports frequency, governor and temperature as unavailable, as it should.
  mount_in proc "$root/proc" -t proc
  mount_in /dev "$root/dev" --bind
  mkdir -p "$root/root/zeronas-install"
  cp "$REPO/scripts/install-agent.sh" "$LAB/zeronas-agent-$arch.tgz" "$root/root/zeronas-install/"
  # A fresh install each time, so its time and size are those of a first install.
  rm -rf "$root/opt/zeronas"
  echo "# $arch: install-agent.sh --bundle --no-systemd in the emulated userland"
  t0=$(date +%s)
  chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash /root/zeronas-install/install-agent.sh \
    --bundle "/root/zeronas-install/zeronas-agent-$arch.tgz" --no-systemd \
    --host "$HOST_URL" --token "$TOKEN" --name "$profile-emu" --device "$profile" --force-device \
    2>&1 | sed -e "s/$TOKEN/<token>/g" | tee "$LAB/install-$arch.log"
  INSTALL_S[$arch]=$(($(date +%s) - t0))
  NODE_MODULES_MB[$arch]=$(du -sm "$root/opt/zeronas/node_modules" | cut -f1)
  PREFIX_MB[$arch]=$(du -sm "$root/opt/zeronas" | cut -f1)
done

# The host on this machine: orchestrate waits for both targets' agents, then searches and measures on them.
node "$REPO/bin/orchestrate.js" --targets "$(IFS=,; echo "${TARGETS[*]}")" --listen 127.0.0.1 --port "$PORT" \
  --out "$LAB/run" --measure 3 --max-scored 12 --rounds 1 --verify-rounds 1 --min-runs 3 --min-time-ms 200 \
  --wait-agents 900 >"$LAB/orchestrate.log" 2>&1 &
HOST_PID=$!
echo "# host: orchestrate (pid $HOST_PID) on $HOST_URL; log $LAB/orchestrate.log"

for arch in "${ARCH_LIST[@]}"; do
  root="$CACHE_ROOT/$arch"
  unit="$root/etc/systemd/system/zeronas-agent.service"
  exec_start="$(sed -n 's/^ExecStart=//p' "$unit")"
  workdir="$(sed -n 's/^WorkingDirectory=//p' "$unit")"
  user="$(sed -n 's/^User=//p' "$unit")"
  envfile="$(sed -n 's/^EnvironmentFile=//p' "$unit")"
  mapfile -t env_lines < <(grep -E '^[A-Z_]+=' "$root$envfile")
  echo "# $arch: starting the agent as the unit would: User=$user WorkingDirectory=$workdir ExecStart=$exec_start"
  # shellcheck disable=SC2016 # $0/$1 expand in the inner shell
  chroot --userspec="$user:$user" "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/var/cache/zeronas "${env_lines[@]}" \
    /bin/sh -c 'cd "$0" && exec $1' "$workdir" "$exec_start" >"$LAB/agent-$arch.log" 2>&1 &
  AGENT_PIDS+=($!)
done

echo "# waiting for orchestrate to finish (emulated measurements are slow)"
set +e
wait "$HOST_PID"
HOST_RC=$?
set -e
HOST_PID=""
WALL=$(($(date +%s) - LAB_START))
tail -n 25 "$LAB/orchestrate.log"
[ "$HOST_RC" -eq 0 ] || { echo "runLab: error: orchestrate exited with $HOST_RC (log $LAB/orchestrate.log; agents: $LAB/agent-*.log)" >&2; exit 1; }

node "$REPO/bin/zeronas.js" results "$LAB/run" >"$LAB/results.csv" 2>&1 || true
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
node -e '
  const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const bad = s.targets.filter((t) => !t.isEmulated || t.measured < 1);
  for (const t of s.targets) console.log(`# target ${t.target}: ${t.measured} measured, emulated=${t.isEmulated}, agents ${t.agents.map((a) => `${a.name} (${a.runtime})`).join(", ")}`);
  if (!s.isEmulated || bad.length) { console.error(`runLab: error: summary does not label every target emulated with measurements: ${bad.map((t) => t.target).join(", ")}`); process.exit(1); }
' "$LAB/run/summary.json"
# zeronas results: the value of every <dataset>_<target>_source column (arch strings have no commas).
echo "# zeronas results, source columns: $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /_source$/) c[i] = $i; next } { for (i in c) seen[c[i] "=" $i] = 1 } END { for (k in seen) printf "%s ", k }' "$LAB/results.csv")"
for arch in "${ARCH_LIST[@]}"; do
  echo "# $arch: install ${INSTALL_S[$arch]} s (emulated tar and useradd), /opt/zeronas ${PREFIX_MB[$arch]} MB, node_modules ${NODE_MODULES_MB[$arch]} MB"
done
echo "# lab passed in ${WALL} s (wall, including userland checks, bundles, installs and the run); folder $LAB"
