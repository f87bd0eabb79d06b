#!/usr/bin/env bash
# Debian packages the project needs beyond Python and npm, installed only when missing:
# chromium (browser tests), Pango and fonts (WeasyPrint PDFs), poppler-utils (pdftotext in
# the tests), the PostgreSQL client tools (registro backup/restore).
set -euo pipefail
pacchetti=(chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
           postgresql-client)
mancanti=()
for p in "${pacchetti[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || mancanti+=("$p")
done
if [ ${#mancanti[@]} -gt 0 ]; then
  echo "installo: ${mancanti[*]}"
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${mancanti[@]}"
fi
