#!/usr/bin/env bash
# Boot the service exactly as `make run` does, on a free port, and prove that the web app answers
# /healthz and that beat + worker run a task (the heartbeat). Bounded: gives up after 90 s.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${SMOKE_PORT:-$(.venv/bin/python -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}
export HEARTBEAT_SECONDS=2
HOST=127.0.0.1 PORT=$PORT setsid scripts/run.sh >var/smoke.log 2>&1 &
runner=$!
trap 'kill -- -$runner 2>/dev/null || true; wait $runner 2>/dev/null || true' EXIT
for _ in $(seq 1 90); do
  body=$(curl -fsS "http://127.0.0.1:$PORT/healthz" 2>/dev/null || true)
  if [[ "$body" == *'"status": "ok"'* && "$body" != *'"worker_heartbeat_age_seconds": null'* ]]; then
    echo "smoke ok: $body"
    exit 0
  fi
  sleep 1
done
echo "smoke FAILED; last /healthz: ${body:-<no answer>}" >&2
tail -n 30 var/smoke.log var/log/worker.log var/log/beat.log >&2 || true
exit 1
