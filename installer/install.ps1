# Install paxel for this user on Windows and register it with every browser found.
#
#   powershell -ExecutionPolicy Bypass -File installer\install.ps1 [-Spec SPEC] [-- PAXEL-INSTALL-ARGS...]
#
# Mirrors install.sh: pipx when present (set PAXEL_NO_PIPX=1 to skip it), else a venv in
# %LOCALAPPDATA%\paxel\venv; SPEC defaults to this checkout. Then `paxel install` writes the
# manifests and the HKCU registry keys (pass --system from an administrator shell for HKLM).
# Re-running upgrades in place. Environment: PAXEL_PYTHON (default: py -3), PAXEL_PIP_ARGS.
param(
    [string]$Spec = "",
    [Parameter(ValueFromRemainingArguments = $true)][string[]]$PaxelArgs = @()
)
$ErrorActionPreference = "Stop"

if (-not $Spec) {
    $checkout = Split-Path -Parent $PSScriptRoot
    if (-not (Test-Path (Join-Path $checkout "pyproject.toml"))) {
        Write-Error "install.ps1: give -Spec (a wheel or a pip spec): no checkout around this script"
        exit 2
    }
    $Spec = $checkout
}
$PaxelArgs = @($PaxelArgs | Where-Object { $_ -ne "--" })

if ($env:PAXEL_PYTHON) { $pyExe = $env:PAXEL_PYTHON; $pyArgs = @() } else { $pyExe = "py"; $pyArgs = @("-3") }
& $pyExe @pyArgs -c "import sys; sys.exit(sys.version_info < (3, 11))"
if ($LASTEXITCODE -ne 0) {
    Write-Error "install.ps1: paxel needs Python 3.11 or newer; set PAXEL_PYTHON to one"
    exit 2
}
$pipArgs = @()
if ($env:PAXEL_PIP_ARGS) { $pipArgs = $env:PAXEL_PIP_ARGS -split " " }

$pipx = Get-Command pipx -ErrorAction SilentlyContinue
if (-not $env:PAXEL_NO_PIPX -and $pipx) {
    Write-Host "install.ps1: installing $Spec with pipx"
    & pipx install --force $Spec
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $paxel = Join-Path (& pipx environment --value PIPX_BIN_DIR) "paxel.exe"
} else {
    $venv = Join-Path $env:LOCALAPPDATA "paxel\venv"
    if (-not (Test-Path (Join-Path $venv "Scripts\python.exe"))) {
        Write-Host "install.ps1: creating $venv"
        & $pyExe @pyArgs -m venv $venv
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    Write-Host "install.ps1: installing $Spec into $venv"
    & (Join-Path $venv "Scripts\python.exe") -m pip install --quiet --disable-pip-version-check --upgrade @pipArgs $Spec
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $paxel = Join-Path $venv "Scripts\paxel.exe"
}

& $paxel install @PaxelArgs
exit $LASTEXITCODE
