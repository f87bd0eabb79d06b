#!/usr/bin/env bash
# Debian packages the project needs beyond Python and npm, installed only when missing:
# chromium (browser tests), Pango and fonts (WeasyPrint PDFs), poppler-utils (pdftotext in
# the tests), the PostgreSQL client tools (registro backup/restore), systemd (its
# systemd-analyze checks the units in deploy/systemd).
set -euo pipefail
pacchetti=(chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils
           postgresql-client systemd)
mancanti=()
for p in "${pacchetti[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || mancanti+=("$p")
done
if [ ${#mancanti[@]} -gt 0 ]; then
  echo "installo: ${mancanti[*]}"
  # Another install may hold the dpkg lock (a second checkout setting up at the same time):
  # wait for it rather than fail.
  apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${mancanti[@]}"
fi
