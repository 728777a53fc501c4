#!/usr/bin/env bash
# Fuzz the REST API against its own OpenAPI schema with schemathesis (issue 5: "no server error and no
# schema violation"). In a throw-away data directory (SQLite): migrate, load the demo province and its
# dossiers, create an API client with every scope and a known key (acting as the superuser `quantri`, so
# every endpoint and action is reachable), serve with gunicorn on a free port, check the schema with
# `spectacular --validate --fail-on-warn`, then run schemathesis on /api/schema/ with the checks below.
# Bounded: schemathesis gets SCHEMATHESIS_MAX_TIME seconds (default 150) and is killed after that plus a
# margin; the server is stopped (TERM, then KILL after 10 s) whatever happens. Exit non-zero on any failure.
#
#   scripts/schemathesis.sh                    # SCHEMATHESIS_MAX_EXAMPLES=25 per operation by default
#   SCHEMATHESIS_DOSSIERS=0 scripts/schemathesis.sh   # skip the ~300 demo dossiers (faster, fewer paths)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
BIN=$(dirname "$PY")
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
MAX_TIME=${SCHEMATHESIS_MAX_TIME:-150}
CHECKS=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance}

export MOTCUA_VAR_DIR
MOTCUA_VAR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-schemathesis.XXXXXX")
unset DATABASE_URL CELERY_BROKER_URL CACHE_URL
export MOTCUA_DEMO=1 DJANGO_DEBUG=0 API_RATE_PER_CLIENT=100000/m
PORT=${SCHEMATHESIS_PORT:-$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')}
KEY="fuzzkey0.$($PY -c 'import secrets;print(secrets.token_hex(24))')"
server=""

cleanup() {
  if [[ -n "$server" ]]; then
    kill -TERM -- -"$server" 2>/dev/null || true
    for _ in $(seq 1 10); do
      kill -0 -- -"$server" 2>/dev/null || break
      sleep 1
    done
    kill -KILL -- -"$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$MOTCUA_VAR_DIR"
}
trap cleanup EXIT

started=$(date +%s)
$PY manage.py migrate --noinput -v0
$PY manage.py demo_seed >/dev/null
if [[ "${SCHEMATHESIS_DOSSIERS:-1}" != 0 ]]; then
  $PY manage.py demo_dossiers >/dev/null
fi
$PY manage.py api_client_create schemathesis --user quantri --scopes all --key "$KEY" >/dev/null
$PY manage.py spectacular --validate --fail-on-warn --file "$MOTCUA_VAR_DIR/openapi.yaml"
# Real codes, so generated requests also reach existing dossiers, procedures and agencies (not only 404/400).
$PY manage.py shell -v0 -c "
import json
from procedures.models import Agency, Procedure
from workflows.models import Dossier
for name, values in [
    ('agencies', Agency.objects.values_list('code', flat=True)),
    ('procedures', Procedure.objects.values_list('code', flat=True)),
    ('dossiers', Dossier.objects.order_by('?').values_list('code', flat=True)[:60]),
]:
    open('$MOTCUA_VAR_DIR/' + name + '.txt', 'w').write(chr(10).join(map(json.dumps, values)) or '\"none\"')
"
cat >"$MOTCUA_VAR_DIR/schemathesis.toml" <<TOML
[dictionaries.agencies]
from-file = "$MOTCUA_VAR_DIR/agencies.txt"
[dictionaries.procedures]
from-file = "$MOTCUA_VAR_DIR/procedures.txt"
[dictionaries.dossiers]
from-file = "$MOTCUA_VAR_DIR/dossiers.txt"

[parameters]
"query.agency" = { dictionary = "agencies", probability = 0.7 }
"query.procedure" = { dictionary = "procedures", probability = 0.7 }
"body.procedure" = { dictionary = "procedures", probability = 0.7 }
"body.reception_agency" = { dictionary = "agencies", probability = 0.7 }

[[operations]]
include-path-regex = "^/api/v1/dossiers/[{]code[}]/"
parameters = { "path.code" = { dictionary = "dossiers", probability = 0.8 } }

[[operations]]
include-path-regex = "^/api/v1/procedures/[{]code[}]/"
parameters = { "path.code" = { dictionary = "procedures", probability = 0.8 } }
TOML
echo "data ready in $(($(date +%s) - started)) s"

setsid "$BIN/gunicorn" config.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --threads 4 \
  --timeout 60 --access-logfile - >"$MOTCUA_VAR_DIR/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$PORT/api/schema/" 2>/dev/null && break
  sleep 0.5
done

status=0
timeout --kill-after=15 $((MAX_TIME + 60)) "$BIN/schemathesis" --config-file "$MOTCUA_VAR_DIR/schemathesis.toml" run "http://127.0.0.1:$PORT/api/schema/" \
  --header "Authorization: Api-Key $KEY" \
  --checks "$CHECKS" \
  --max-examples "$MAX_EXAMPLES" \
  --max-time "$MAX_TIME" \
  --request-timeout 30 \
  --seed "${SCHEMATHESIS_SEED:-20250701}" \
  --no-shrink \
  --report junit --report-dir "${SCHEMATHESIS_REPORT_DIR:-$MOTCUA_VAR_DIR/report}" || status=$?

echo "API responses by status:"
grep -o '" [1-5][0-9][0-9] ' "$MOTCUA_VAR_DIR/server.log" | sort | uniq -c || true
if grep -q "Traceback\|Internal Server Error" "$MOTCUA_VAR_DIR/server.log"; then
  echo "server errors logged during the run:" >&2
  grep -B2 -A25 "Traceback" "$MOTCUA_VAR_DIR/server.log" | head -120 >&2
  status=1
fi
echo "schemathesis finished in $(($(date +%s) - started)) s (exit $status)"
exit "$status"
