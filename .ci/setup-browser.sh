#!/usr/bin/env bash
# CI: Debian's Chromium and its ChromeDriver for the viewer's end-to-end tests (idempotent).
# A test tool's own browser download cannot work here; these come from the apt archive.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
sudo_=""
if [ "$(id -u)" != 0 ]; then sudo_="sudo"; fi
$sudo_ apt-get update -qq
$sudo_ apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
chromium --version
