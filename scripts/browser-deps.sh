#!/usr/bin/env bash
# Browser tests need Debian's Chromium (Playwright must not download its own browser) and axe-core
# from npm. Installs what is missing; prints what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = "0" ]; then
    echo "Installing Debian's chromium for the browser tests…"
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)." >&2
    exit 1
  fi
fi
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  if command -v npm >/dev/null; then
    echo "Installing axe-core from npm…"
    npm ci --silent --no-audit --no-fund 2>/dev/null || npm install --silent --no-audit --no-fund
  else
    echo "npm is missing: install Node.js and npm to run the accessibility checks." >&2
    exit 1
  fi
fi
