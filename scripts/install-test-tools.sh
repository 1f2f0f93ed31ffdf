#!/usr/bin/env bash
# Installs the programs the tests drive besides Python packages:
# - LibreOffice Calc (headless) 25.x from Debian bookworm-backports when soffice is missing or
#   older than 24 (the stock 7.4 lacks XLOOKUP/LET and dynamic arrays): it recalculates the
#   formula workbooks;
# - poppler-utils (pdftoppm): a printed bill page is rendered to PNG and checked;
# - the PostgreSQL server programs (initdb, pg_ctl): the store is run on a throwaway server.
set -euo pipefail
need_lo=1
if command -v soffice >/dev/null 2>&1; then
  ver=$(soffice --version 2>/dev/null | awk '{print $2}' | cut -d. -f1)
  if [ "${ver:-0}" -ge 24 ] 2>/dev/null; then need_lo=0; fi
fi
need_poppler=1
command -v pdftoppm >/dev/null 2>&1 && need_poppler=0
need_pg=1
{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } && need_pg=0
[ "$need_lo$need_poppler$need_pg" = "000" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "warning: the tests need LibreOffice 24+ (soffice), poppler-utils (pdftoppm) and the PostgreSQL server;" >&2
  echo "         run this script as root on Debian/Ubuntu, or install them yourself." >&2
  echo "         Without them those tests are skipped (and fail under CI=true)." >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if [ "$need_lo" = 1 ]; then
  src=/etc/apt/sources.list.d/debian.sources
  bp=/etc/apt/sources.list.d/utilbill-backports.sources
  if [ ! -f "$bp" ]; then
    uri=$(awk '/^URIs:/{print $2; exit}' "$src" 2>/dev/null || true)
    uri=${uri:-http://deb.debian.org/debian}
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" > "$bp"
  fi
fi
apt-get update -qq >/dev/null
if [ "$need_lo" = 1 ]; then
  apt-get install -y -qq --no-install-recommends -t bookworm-backports libreoffice-calc-nogui >/dev/null
  soffice --version
fi
if [ "$need_poppler" = 1 ]; then
  apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
  pdftoppm -v 2>&1 | head -1
fi
if [ "$need_pg" = 1 ]; then
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  ls /usr/lib/postgresql/*/bin/initdb
fi
