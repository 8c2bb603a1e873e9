# Sourced by scripts/run and scripts/test: sets up what lanwise needs, safe to repeat.
# shellcheck shell=bash

LANWISE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LANWISE_VENV=${LANWISE_VENV:-$LANWISE_ROOT/.venv}

# Debian packages the lab and the interop peers need (installed only when running as root).
LANWISE_DEBS=(iproute2 iputils-ping procps dbus avahi-daemon avahi-utils avahi-autoipd tshark
  bind9 bind9-utils dnsutils dnsperf knot knot-dnsutils chromium)

lanwise_system_packages() {
  [ "$(id -u)" = 0 ] || { echo "setup: not root: skipping Debian packages (lab tests will skip)"; return 0; }
  command -v apt-get >/dev/null || { echo "setup: no apt-get: skipping Debian packages"; return 0; }
  local missing=() p
  for p in "${LANWISE_DEBS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  echo "setup: installing ${missing[*]}"
  # Never let a package start a daemon on this host's real network: tests start
  # avahi-daemon themselves, inside their own network namespaces.
  local made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  return 0
}

# lanwise_venv EXTRA: a virtual environment with lanwise installed (editable) and EXTRA's deps.
lanwise_venv() {
  local extra=${1:-}
  local stamp="$LANWISE_VENV/.lanwise-installed${extra:+-$extra}"
  if [ ! -x "$LANWISE_VENV/bin/python" ]; then
    python3 -m venv "$LANWISE_VENV"
  fi
  # A changed source of a compiled package (the codec, the mDNS engine) is rebuilt too
  # (hatch_build.py compiles them; until then the edited source runs pure, never a stale
  # extension).
  if [ ! -e "$stamp" ] || [ "$LANWISE_ROOT/pyproject.toml" -nt "$stamp" ] ||
    [ -n "$(find "$LANWISE_ROOT/src/lanwise/dns" "$LANWISE_ROOT/src/lanwise/mdns" \
      "$LANWISE_ROOT/hatch_build.py" \
      -newer "$stamp" \( -name '*.py' -o -name '*.pxd' \) -print -quit)" ]; then
    "$LANWISE_VENV/bin/python" -m pip install -q --upgrade pip
    "$LANWISE_VENV/bin/python" -m pip install -q -e "$LANWISE_ROOT${extra:+[$extra]}"
    touch "$stamp"
  fi
}
