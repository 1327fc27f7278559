#!/bin/sh
# Install paxel for this user (Linux, macOS) and register it with every browser found.
#
#   installer/install.sh [SPEC] [-- PAXEL-INSTALL-ARGS...]
#
# SPEC is what pip installs: this checkout by default, or a wheel file / PyPI spec. paxel goes
# into an isolated environment of its own: pipx when present (PAXEL_NO_PIPX=1 to skip it), else a
# venv in paxel's data folder. Then `paxel install` writes the browsers' manifests; arguments after
# `--` go to it (e.g. -- --browser firefox --extension-id ID). Re-running upgrades in place.
#
# The progress panel comes with it, and one line says which toolkit it uses and why:
# - Linux/BSD: the system's GTK WebKit when the distribution's Python sees PyGObject and the
#   WebKit2GTK typelibs (Debian: python3-gi gir1.2-webkit2-4.1 gir1.2-gtk-3.0); the venv is then
#   made from that Python with --system-site-packages. Otherwise Qt WebEngine wheels (~211 MB).
# - macOS: pywebview brings Cocoa WebKit (pyobjc).
# Environment: PAXEL_PYTHON (default: /usr/bin/python3 when it sees GTK WebKit, else python3;
# 3.11+), PAXEL_PANEL (auto, gtk, qt or none), PAXEL_PIP_ARGS (extra pip arguments).
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

# Prints the WebKit2GTK version a Python offers (pywebview takes 4.1, else 4.0), or fails
# with the reason on its last line of stderr. Reads typelibs only: no display needed.
gtk_probe='
import sys
if sys.version_info < (3, 11):
    sys.exit("Python %d.%d is older than 3.11" % sys.version_info[:2])
import gi
gi.require_version("Gtk", "3.0")
try:
    gi.require_version("WebKit2", "4.1")
    print("4.1")
except ValueError:
    gi.require_version("WebKit2", "4.0")
    print("4.0")
'
gtk_packages="python3-gi gir1.2-webkit2-4.1 gir1.2-gtk-3.0"
panel=${PAXEL_PANEL:-auto}
python=${PAXEL_PYTHON:-}
venv_flags=""
extras="panel"
case "$panel" in auto | gtk | qt | none) ;; *)
    echo "install.sh: PAXEL_PANEL is auto, gtk, qt or none, not '$panel'" >&2
    exit 2 ;;
esac
if [ "$panel" = none ]; then
    extras=""
    why="panel: none (PAXEL_PANEL=none); \`paxel panel\` will say so"
elif [ "$(uname -s)" = Darwin ]; then
    why="panel: Cocoa WebKit (pywebview brings it on macOS through pyobjc)"
else
    candidate=${python:-/usr/bin/python3}
    webkit=""
    reason=""
    if [ "$panel" != qt ]; then
        if probed=$("$candidate" -c "$gtk_probe" 2>&1); then
            webkit=$(printf '%s\n' "$probed" | tail -n 1)
        else
            reason=$(printf '%s\n' "$probed" | tail -n 1)
        fi
    else
        reason="PAXEL_PANEL=qt"
    fi
    if [ -n "$webkit" ]; then
        python=$candidate
        venv_flags="--system-site-packages"
        why="panel: GTK WebKit ($candidate sees the system's PyGObject and WebKit2GTK $webkit; the venv uses its site-packages)"
    elif [ "$panel" = gtk ]; then
        echo "install.sh: PAXEL_PANEL=gtk, but $candidate cannot use GTK WebKit: ${reason:-unknown error} (Debian: apt install $gtk_packages)" >&2
        exit 2
    else
        extras="panel,panel-qt"
        why="panel: Qt WebEngine, ~211 MB of wheels ($candidate cannot use the system's GTK WebKit: ${reason:-unknown error}; with $gtk_packages installed a re-run uses it)"
    fi
fi
python=${python:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "install.sh: paxel needs Python 3.11 or newer; set PAXEL_PYTHON to one" >&2
    exit 2
fi
echo "install.sh: $why"

# pip's extras syntax: DIR[extra], FILE.whl[extra], paxel[extra] @ URL, or NAME[extra]<version spec>
if [ -z "$extras" ]; then
    target=$spec
elif [ -e "$spec" ]; then
    target="$spec[$extras]"
else
    case "$spec" in
        *://*) target="paxel[$extras] @ $spec" ;;
        *) target=$(printf '%s\n' "$spec" | sed "s/^\([A-Za-z0-9._-]*\)/\1[$extras]/") ;;
    esac
fi

case "$(uname -s)" in
    Darwin) data="$HOME/Library/Application Support/paxel" ;;
    *) data="${XDG_DATA_HOME:-$HOME/.local/share}/paxel" ;;
esac

# shellcheck disable=SC2086  # PAXEL_PIP_ARGS is a list of words on purpose
if [ -z "${PAXEL_NO_PIPX:-}" ] && command -v pipx >/dev/null 2>&1; then
    echo "install.sh: installing $target with pipx"
    pipx install --force --python "$python" $venv_flags ${PAXEL_PIP_ARGS:+--pip-args="$PAXEL_PIP_ARGS"} "$target"
    paxel="$(pipx environment --value PIPX_BIN_DIR)/paxel"
else
    venv="$data/venv"
    # a venv from an earlier run that cannot see the system's GTK WebKit is made again
    if [ -x "$venv/bin/python" ] && [ -n "$venv_flags" ] && ! "$venv/bin/python" -c "$gtk_probe" >/dev/null 2>&1; then
        echo "install.sh: remaking $venv to use the system's GTK WebKit"
        rm -rf "$venv"
    fi
    if [ ! -x "$venv/bin/python" ]; then
        echo "install.sh: creating $venv"
        mkdir -p "$data"
        "$python" -m venv $venv_flags "$venv"
    fi
    echo "install.sh: installing $target into $venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade ${PAXEL_PIP_ARGS:-} "$target"
    paxel="$venv/bin/paxel"
fi

exec "$paxel" install "$@"
