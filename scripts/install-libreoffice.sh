#!/usr/bin/env bash
# Installs LibreOffice Calc (headless) 25.x from Debian bookworm-backports when soffice is
# missing or older than 24: the stock 7.4 lacks XLOOKUP/LET and dynamic arrays.
set -euo pipefail
need=1
if command -v soffice >/dev/null 2>&1; then
  ver=$(soffice --version 2>/dev/null | awk '{print $2}' | cut -d. -f1)
  if [ "${ver:-0}" -ge 24 ] 2>/dev/null; then need=0; fi
fi
[ "$need" = 1 ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: LibreOffice 24+ (soffice) is needed to recalculate the formula workbooks in the tests;" >&2
  echo "         run this script as root on Debian/Ubuntu, or install LibreOffice yourself." >&2
  echo "         Without it those tests are skipped (and fail under CI=true)." >&2
  exit 0
fi
src=/etc/apt/sources.list.d/debian.sources
bp=/etc/apt/sources.list.d/utilbill-backports.sources
if [ ! -f "$bp" ]; then
  uri=$(awk '/^URIs:/{print $2; exit}' "$src" 2>/dev/null || true)
  uri=${uri:-http://deb.debian.org/debian}
  printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$bp"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends -t bookworm-backports libreoffice-calc-nogui >/dev/null
soffice --version
