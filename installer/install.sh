#!/bin/sh
# Install paxel for this user (Linux, macOS) and register it with every browser found.
#
#   installer/install.sh [SPEC] [-- PAXEL-INSTALL-ARGS...]
#
# SPEC is what pip installs: this checkout by default, or a wheel file / PyPI spec. paxel goes
# into an isolated environment of its own: pipx when present (PAXEL_NO_PIPX=1 to skip it), else a
# venv in paxel's data folder. Then `paxel install` writes the browsers' manifests; arguments after
# `--` go to it (e.g. -- --browser firefox --extension-id ID). Re-running upgrades in place.
# Environment: PAXEL_PYTHON (default python3, 3.11+), PAXEL_PIP_ARGS (extra pip arguments).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
spec=""
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    spec=$1
    shift
fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then
    shift
fi
if [ -z "$spec" ]; then
    if [ -f "$here/../pyproject.toml" ]; then
        spec=$(cd "$here/.." && pwd)
    else
        echo "install.sh: give a wheel or a pip spec (no checkout around this script)" >&2
        exit 2
    fi
fi

python=${PAXEL_PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: paxel needs Python 3.11 or newer; set PAXEL_PYTHON to one" >&2
    exit 2
fi

case "$(uname -s)" in
    Darwin) data="$HOME/Library/Application Support/paxel" ;;
    *) data="${XDG_DATA_HOME:-$HOME/.local/share}/paxel" ;;
esac

# shellcheck disable=SC2086  # PAXEL_PIP_ARGS is a list of words on purpose
if [ -z "${PAXEL_NO_PIPX:-}" ] && command -v pipx >/dev/null 2>&1; then
    echo "install.sh: installing $spec with pipx"
    pipx install --force --python "$python" ${PAXEL_PIP_ARGS:+--pip-args="$PAXEL_PIP_ARGS"} "$spec"
    paxel="$(pipx environment --value PIPX_BIN_DIR)/paxel"
else
    venv="$data/venv"
    if [ ! -x "$venv/bin/python" ]; then
        echo "install.sh: creating $venv"
        mkdir -p "$data"
        "$python" -m venv "$venv"
    fi
    echo "install.sh: installing $spec into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade ${PAXEL_PIP_ARGS:-} "$spec"
    paxel="$venv/bin/paxel"
fi

exec "$paxel" install "$@"
