#!/usr/bin/env bash
# The browser tests (npm run test:browser) drive Debian's Chromium through playwright-core, which
# downloads no browser of its own: install the distribution's package when it is absent.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
/usr/bin/chromium --version
