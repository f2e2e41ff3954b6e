#!/usr/bin/env bash
# Create one virtual environment per peer tool of the drift benchmark, beside bench/:
#   bench/.venv-evidently, bench/.venv-nannyml, bench/.venv-whylogs
# Idempotent: an environment that already imports its peer is left alone; a broken one is rebuilt.
# Usage: bash bench/peers/setup.sh [PEER ...]   (default: all three)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bench="$(dirname "$here")"
python="${PYTHON:-python3}"

declare -A module=([evidently]=evidently [nannyml]=nannyml [whylogs]=whylogs)
peers=("$@")
[ ${#peers[@]} -eq 0 ] && peers=(evidently nannyml whylogs)

for peer in "${peers[@]}"; do
    [ -n "${module[$peer]:-}" ] || { echo "unknown peer '$peer'; known: ${!module[*]}" >&2; exit 2; }
    venv="$bench/.venv-$peer"
    check="import ${module[$peer]}, pyarrow, pandas; print('$peer', ${module[$peer]}.__version__, 'pandas', pandas.__version__)"
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "$peer: $venv exists, skipped"
        continue
    fi
    rm -rf "$venv"
    echo "$peer: creating $venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet -r "$here/requirements-$peer.txt"
    "$venv/bin/python" -c "$check"
done
