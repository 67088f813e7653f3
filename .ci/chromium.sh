# Sourced by .ci/run: make a headless Chromium available for the report's browser test
# (tests/partsopt/test_browser_report.py).  Idempotent: does nothing when chromium is on PATH.
# Installs Debian's `chromium` package with apt-get (as root, no prompts) otherwise, and exports
# PARTSOPT_CHROMIUM with the binary's path for the test.
_partsopt_chromium="$(command -v chromium || command -v chromium-browser || true)"
if [ -z "${_partsopt_chromium}" ]; then
  if [ "$(id -u)" = "0" ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
  else
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -q
    sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
  fi
  _partsopt_chromium="$(command -v chromium || command -v chromium-browser || true)"
fi
if [ -n "${_partsopt_chromium}" ]; then
  export PARTSOPT_CHROMIUM="${_partsopt_chromium}"
fi
unset _partsopt_chromium
