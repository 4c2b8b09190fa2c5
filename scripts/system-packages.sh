#!/usr/bin/env bash
# Installs the Debian packages the project needs, only those missing:
#   fonts-liberation2    Liberation Sans, the font the QR-bill standard asks for (PDFs)
#   libharfbuzz-subset0  lets WeasyPrint subset fonts natively (about 6x faster PDFs)
#   chromium             the browser the Playwright tests drive (with "test")
#   poppler-utils        pdftoppm, rasterises invoice PDFs for the QR code test (with "test")
#   wrk                  the HTTP load generator of benchmarks/load.py (with "benchmark")
set -euo pipefail
packages=(fonts-liberation2 libharfbuzz-subset0)
if [ "${1:-}" = "test" ]; then packages+=(chromium poppler-utils); fi
if [ "${1:-}" = "benchmark" ]; then packages+=(wrk); fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Missing Debian packages: ${missing[*]} (run as root: apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
echo "Installing Debian packages: ${missing[*]}"
${SUDO:-} apt-get update -qq
DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
