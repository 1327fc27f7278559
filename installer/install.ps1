# Install paxel for this user on Windows and register it with every browser found.
#
#   powershell -ExecutionPolicy Bypass -File installer\install.ps1 [-Spec SPEC] [-- PAXEL-INSTALL-ARGS...]
#
# Mirrors install.sh: pipx when present (set PAXEL_NO_PIPX=1 to skip it), else a venv in
# %LOCALAPPDATA%\paxel\venv; SPEC defaults to this checkout. Then `paxel install` writes the
# manifests and the HKCU registry keys (pass --system from an administrator shell for HKLM).
# Re-running upgrades in place. The progress panel comes with it: pywebview brings Edge WebView2
# through pythonnet (PAXEL_PANEL=none leaves it out). Environment: PAXEL_PYTHON (default: py -3),
# PAXEL_PANEL (auto or none), PAXEL_PIP_ARGS.
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
if ($env:PAXEL_PANEL -eq "none") {
    $Target = $Spec
    Write-Host "install.ps1: panel: none (PAXEL_PANEL=none); ``paxel panel`` will say so"
} else {
    # pip's extras syntax: DIR[extra], FILE.whl[extra], or NAME[extra]<version spec> for an index
    if (Test-Path $Spec) { $Target = "$Spec[panel]" } else { $Target = $Spec -replace '^([A-Za-z0-9._-]*)', '$1[panel]' }
    Write-Host "install.ps1: panel: Edge WebView2 (pywebview brings it on Windows through pythonnet)"
}
$pipArgs = @()
if ($env:PAXEL_PIP_ARGS) { $pipArgs = $env:PAXEL_PIP_ARGS -split " " }

$pipx = Get-Command pipx -ErrorAction SilentlyContinue
if (-not $env:PAXEL_NO_PIPX -and $pipx) {
    Write-Host "install.ps1: installing $Target with pipx"
    & pipx install --force $Target
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $paxel = Join-Path (& pipx environment --value PIPX_BIN_DIR) "paxel.exe"
} else {
    $venv = Join-Path $env:LOCALAPPDATA "paxel\venv"
    if (-not (Test-Path (Join-Path $venv "Scripts\python.exe"))) {
        Write-Host "install.ps1: creating $venv"
        & $pyExe @pyArgs -m venv $venv
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    Write-Host "install.ps1: installing $Target into $venv"
    & (Join-Path $venv "Scripts\python.exe") -m pip install --quiet --disable-pip-version-check --upgrade @pipArgs $Target
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $paxel = Join-Path $venv "Scripts\paxel.exe"
}

& $paxel install @PaxelArgs
exit $LASTEXITCODE
