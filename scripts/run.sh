#!/usr/bin/env bash
# Start the web app, a Celery worker and Celery beat; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
# The demo: published secret key, plain-http cookies, optional second factor (config/settings.py).
export MOTCUA_DEMO=1
PY=.venv/bin/python
CELERY=.venv/bin/celery
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
LOG_DIR=${MOTCUA_VAR_DIR:-var}/log
mkdir -p "$LOG_DIR"
# Prometheus multiprocess mode (issue 4): web, worker and beat write their instruments to one directory that
# /metrics merges, so the web answers what the worker counted (sweeps, notices, task failures). It must be
# set before any of them imports prometheus_client, and is cleared here, before all of them start.
VAR_DIR=${MOTCUA_VAR_DIR:-var}
[[ "$VAR_DIR" == /* ]] || VAR_DIR="$(pwd)/$VAR_DIR"
export PROMETHEUS_MULTIPROC_DIR=${PROMETHEUS_MULTIPROC_DIR:-$VAR_DIR/prometheus}
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
rm -f "$PROMETHEUS_MULTIPROC_DIR"/*.db

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # A Celery main process sometimes hangs after SIGTERM (seen with prefork children); give every process
  # 15 s to stop cleanly, then kill what is left so Ctrl-C always returns.
  for _ in $(seq 1 15); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

$CELERY -A config worker --loglevel=INFO --concurrency=2 --hostname="motcua@%h" >"$LOG_DIR/worker.log" 2>&1 &
pids+=($!)
$CELERY -A config beat --loglevel=INFO >"$LOG_DIR/beat.log" 2>&1 &
pids+=($!)

cat <<TXT

  motcua is starting on http://$HOST:$PORT/
    admin (catalogue):  http://$HOST:$PORT/admin/
    health check:       http://$HOST:$PORT/healthz
    Prometheus metrics: http://$HOST:$PORT/metrics  (loopback only unless METRICS_TOKEN is set)
  Celery worker and beat logs: $LOG_DIR/worker.log, $LOG_DIR/beat.log

  Demo logins (password for all: motcua-demo):
    motcua       Cán bộ Bộ phận Một cửa (desk officer)
    chuyenvien   Chuyên viên xử lý (specialist)
    truongphong  Lãnh đạo phòng (head of unit)
    giamdoc      Lãnh đạo cơ quan (director)
    giamsat      Cán bộ giám sát (supervisor)
    quantri      Quản trị hệ thống (administrator, superuser)

TXT
$PY manage.py runserver "$HOST:$PORT" --noreload &
pids+=($!)
wait -n "${pids[@]}"
