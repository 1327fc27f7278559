#!/bin/sh
# Undo installer/install.sh: unregister paxel from every browser (`paxel uninstall`), then stop
# the service and remove paxel's environment (the pipx one or the venv in paxel's data folder).
# Downloads, history and settings stay; re-running is harmless.
set -eu

case "$(uname -s)" in
    Darwin) data="$HOME/Library/Application Support/paxel" ;;
    *) data="${XDG_DATA_HOME:-$HOME/.local/share}/paxel" ;;
esac
venv="$data/venv"

# The service runs from the environment about to be removed: stop it first (unfinished downloads
# resume if paxel is installed again).
if [ -x "$venv/bin/paxel" ]; then
    "$venv/bin/paxel" uninstall "$@"
    "$venv/bin/paxel" service stop || true
    rm -rf "$venv"
    echo "uninstall.sh: removed $venv"
elif command -v pipx >/dev/null 2>&1 && pipx list --short 2>/dev/null | grep -q '^paxel '; then
    paxel="$(pipx environment --value PIPX_BIN_DIR)/paxel"
    "$paxel" uninstall "$@"
    "$paxel" service stop || true
    pipx uninstall paxel
elif command -v paxel >/dev/null 2>&1; then
    paxel uninstall "$@"
    echo "uninstall.sh: paxel itself was not installed by install.sh; left in place"
else
    echo "uninstall.sh: paxel is not installed"
fi
rmdir "$data" 2>/dev/null || true
