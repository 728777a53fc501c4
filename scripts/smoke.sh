#!/usr/bin/env bash
# Boot the service exactly as `make run` does — migrate, demo data, web + worker + beat — in a fresh
# data directory on a free port, and prove that the web app answers /healthz and that beat schedules
# and the worker executes a task (a heartbeat newer than the boot). Bounded: gives up after 120 s.
set -euo pipefail
cd "$(dirname "$0")/.."
export MOTCUA_DEMO=1
export MOTCUA_VAR_DIR
MOTCUA_VAR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-smoke.XXXXXX")
export HEARTBEAT_SECONDS=2
PORT=${SMOKE_PORT:-$(.venv/bin/python -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}

.venv/bin/python manage.py migrate --noinput >/dev/null
.venv/bin/python manage.py demo_seed >/dev/null
.venv/bin/python manage.py demo_dossiers >/dev/null
.venv/bin/python manage.py metrics_rebuild >/dev/null
HOST=127.0.0.1 PORT=$PORT setsid scripts/run.sh >"$MOTCUA_VAR_DIR/run.log" 2>&1 &
runner=$!
cleanup() {
  kill -- -"$runner" 2>/dev/null || true
  # Bounded: whatever in the service's process group has not stopped after 20 s is killed.
  for _ in $(seq 1 20); do
    kill -0 -- -"$runner" 2>/dev/null || break
    sleep 1
  done
  kill -KILL -- -"$runner" 2>/dev/null || true
  wait "$runner" 2>/dev/null || true
  rm -rf "$MOTCUA_VAR_DIR"
}
trap cleanup EXIT
body=""
for _ in $(seq 1 120); do
  body=$(curl -fsS "http://127.0.0.1:$PORT/healthz" 2>/dev/null || true)
  if [[ "$body" == *'"status": "ok"'* && "$body" != *'"worker_heartbeat_age_seconds": null'* ]]; then
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/admin/login/"
    echo "smoke ok: $body"
    exit 0
  fi
  sleep 1
done
echo "smoke FAILED; last /healthz: ${body:-<no answer>}" >&2
tail -n 30 "$MOTCUA_VAR_DIR/run.log" "$MOTCUA_VAR_DIR"/log/*.log >&2 || true
exit 1
