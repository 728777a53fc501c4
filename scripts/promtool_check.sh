#!/usr/bin/env bash
# Check the Prometheus files of deploy/prometheus with promtool (issue 4): the alerting rules (check rules),
# their unit tests (test rules, alerts_test.yml) and the example scrape configuration (check config).
# promtool comes from Debian's `prometheus` package, fetched when missing; if it cannot be fetched (no package
# registry), say so and exit 0 so CI does not fail on the network: the rules are still kept on exported
# metrics by tests/metrics/test_prom_rules.py.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=deploy/prometheus

# promtool from PATH, else the one unpacked earlier, else unpack it from Debian's package (a static binary):
# `apt-get download` + `dpkg-deb -x` need no root and, unlike `apt-get install prometheus`, do not start a
# Prometheus server on the machine.
TOOLS=${MOTCUA_VAR_DIR:-var}/tools/prometheus
PROMTOOL=${PROMTOOL:-$(command -v promtool || true)}
if [ -z "$PROMTOOL" ] && [ -x "$TOOLS/usr/bin/promtool" ]; then
  PROMTOOL=$TOOLS/usr/bin/promtool
fi
if [ -z "$PROMTOOL" ]; then
  echo "promtool: not found; unpacking it from Debian's prometheus package into $TOOLS"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  download=$(mktemp -d)
  if { (cd "$download" && apt-get download -qq prometheus) \
      || { $SUDO apt-get update -qq && (cd "$download" && apt-get download -qq prometheus); }; } >/dev/null 2>&1 \
    && mkdir -p "$TOOLS" && dpkg-deb -x "$download"/prometheus_*.deb "$TOOLS" \
    && [ -x "$TOOLS/usr/bin/promtool" ]; then
    PROMTOOL=$TOOLS/usr/bin/promtool
  fi
  rm -rf "$download"
  if [ -z "$PROMTOOL" ]; then
    echo "promtool: SKIPPED — Debian's prometheus package could not be fetched; $DIR was not checked." >&2
    exit 0
  fi
fi
"$PROMTOOL" --version 2>&1 | head -n 1

"$PROMTOOL" check rules "$DIR/alerts.yml"
"$PROMTOOL" test rules "$DIR/alerts_test.yml"

# The example config names a token file that exists only on a real Prometheus host (never in the
# repository): check a copy next to a placeholder token so promtool can resolve every relative path.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$DIR/prometheus.yml" "$DIR/alerts.yml" "$work/"
printf 'placeholder-token\n' >"$work/motcua_metrics_token"
"$PROMTOOL" check config "$work/prometheus.yml"
echo "promtool: $DIR ok"
