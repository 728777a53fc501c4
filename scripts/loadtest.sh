#!/usr/bin/env bash
# Load test of the public pages (issue 5): gunicorn on loopback over PostgreSQL + Redis with the demo
# province; locust runs 50 users (lookup + catalogue) headless for LOAD_SECONDS, then prints p95 and the
# error rate per page and fails when any request failed. Bounded: every step has a timeout, and whatever
# is still running is killed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
USERS=${LOAD_USERS:-50}
SECONDS_RUN=${LOAD_SECONDS:-60}
SPAWN_RATE=${LOAD_SPAWN_RATE:-10}
DB_NAME=${LOAD_DB_NAME:-motcua_load}
export MOTCUA_VAR_DIR
MOTCUA_VAR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-load.XXXXXX")
export DATABASE_URL=${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/$DB_NAME}
export CACHE_URL=${LOAD_CACHE_URL:-rediscache://127.0.0.1:6379/3}
export CELERY_BROKER_URL=${LOAD_BROKER_URL:-redis://127.0.0.1:6379/3}
export RATELIMIT_IP_META_KEY=HTTP_X_REAL_IP MOTCUA_DEMO=1 LOG_LEVEL=WARNING
export PROMETHEUS_MULTIPROC_DIR=$MOTCUA_VAR_DIR/prometheus
mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

$PY - <<PY
import psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
    conn.execute('DROP DATABASE IF EXISTS "$DB_NAME" WITH (FORCE)')
    conn.execute('CREATE DATABASE "$DB_NAME"')
PY
$PY - <<'PY'
import redis, os
redis.Redis.from_url(os.environ["CACHE_URL"].replace("rediscache://", "redis://")).flushdb()
PY
echo "== loading the demo province into $DB_NAME"
timeout 600 $PY manage.py migrate --noinput >/dev/null
timeout 600 $PY manage.py demo_seed >/dev/null
timeout 600 $PY manage.py demo_dossiers >/dev/null
timeout 600 $PY manage.py collectstatic --noinput >/dev/null
export LOAD_DATA=$MOTCUA_VAR_DIR/load.json
$PY manage.py shell -c "
import json, re
from procedures.models import Procedure
from workflows.models import Dossier
rows = Dossier.objects.exclude(status='draft').exclude(applicant_phone='').values_list('code', 'applicant_phone')[:500]
data = {
    'dossiers': [(code, re.sub(r'\D', '', phone)[-4:]) for code, phone in rows],
    'procedures': list(Procedure.objects.values_list('code', flat=True)),
}
json.dump(data, open('$LOAD_DATA', 'w'))
print(len(data['dossiers']), 'dossiers,', len(data['procedures']), 'procedures to look up')
"

GUNICORN_BIND=127.0.0.1:$PORT WEB_CONCURRENCY=${LOAD_WORKERS:-4} GUNICORN_THREADS=${LOAD_THREADS:-4} \
  setsid .venv/bin/gunicorn -c config/gunicorn.conf.py config.wsgi >"$MOTCUA_VAR_DIR/gunicorn.log" 2>&1 &
server=$!
cleanup() {
  kill -- -"$server" 2>/dev/null || true
  for _ in $(seq 1 10); do kill -0 -- -"$server" 2>/dev/null || break; sleep 1; done
  kill -KILL -- -"$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [[ -n "${LOAD_KEEP:-}" ]]; then echo "kept $MOTCUA_VAR_DIR"; else rm -rf "$MOTCUA_VAR_DIR"; fi
}
trap cleanup EXIT
for _ in $(seq 1 60); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null && break; sleep 1; done
# Warm every worker once (templates, catalogue caches) so the figures are the steady state.
for i in $(seq 1 20); do curl -fsS -o /dev/null -H "X-Real-IP: 10.255.0.$i" "http://127.0.0.1:$PORT/thu-tuc/"; done

echo "== locust: $USERS users (started $SPAWN_RATE a second), ${SECONDS_RUN}s, http://127.0.0.1:$PORT"
timeout $((SECONDS_RUN + 60)) .venv/bin/locust -f bench/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" \
  -t "${SECONDS_RUN}s" --host "http://127.0.0.1:$PORT" --csv "$MOTCUA_VAR_DIR/locust" --only-summary \
  --loglevel WARNING --stop-timeout 5 >"$MOTCUA_VAR_DIR/locust.out" 2>&1 || true
$PY bench/load_report.py "$MOTCUA_VAR_DIR/locust_stats.csv" --p95-target-ms "${LOAD_P95_TARGET_MS:-200}"
