# Undo installer\install.ps1: `paxel uninstall` (manifests, registry keys, launcher), then stop the
# service and remove paxel's environment (the venv in %LOCALAPPDATA%\paxel\venv or the pipx one).
# Downloads, history and settings stay; re-running is harmless. Mirrors uninstall.sh.
param([Parameter(ValueFromRemainingArguments = $true)][string[]]$PaxelArgs = @())
$ErrorActionPreference = "Stop"

$venv = Join-Path $env:LOCALAPPDATA "paxel\venv"
$venvPaxel = Join-Path $venv "Scripts\paxel.exe"
$pipx = Get-Command pipx -ErrorAction SilentlyContinue

if (Test-Path $venvPaxel) {
    & $venvPaxel uninstall @PaxelArgs
    & $venvPaxel service stop  # it runs from the venv about to be removed
    Remove-Item -Recurse -Force $venv
    Write-Host "uninstall.ps1: removed $venv"
} elseif ($pipx -and ((& pipx list --short) -match "^paxel ")) {
    $paxel = Join-Path (& pipx environment --value PIPX_BIN_DIR) "paxel.exe"
    & $paxel uninstall @PaxelArgs
    & $paxel service stop
    & pipx uninstall paxel
} elseif (Get-Command paxel -ErrorAction SilentlyContinue) {
    & paxel uninstall @PaxelArgs
    Write-Host "uninstall.ps1: paxel itself was not installed by install.ps1; left in place"
} else {
    Write-Host "uninstall.ps1: paxel is not installed"
}
