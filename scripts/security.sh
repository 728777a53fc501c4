#!/usr/bin/env bash
# `make security`: (1) print the permission matrix — every URL pattern and its verdict per role, the table
# the permission-matrix test enforces; (2) boot the demo (fresh data directory, loopback only) and run a web
# vulnerability scanner no one here wrote (Debian's wapiti) over it, logged in as each demo role and as an
# anonymous visitor. Fails on any XSS, injection, file, redirect or CRLF finding; header and cookie findings
# are printed with the production setting that closes them (the demo serves plain HTTP on 127.0.0.1).
# Bounded: each scan stops after SECURITY_SCAN_SECONDS (default 90).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export LANG=C.UTF-8 LC_ALL=C.UTF-8  # wapiti names its finding categories in the locale's language
SCAN_SECONDS=${SECURITY_SCAN_SECONDS:-90}
ROLES=${SECURITY_ROLES:-"anonymous motcua motcuaxa chuyenvien truongphong giamdoc giamsat quantri"}

if ! command -v wapiti >/dev/null; then
  SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wapiti >/dev/null
fi

echo "== permission matrix (URL pattern → verdict per role; enforced by tests/security/test_permission_matrix.py)"
$PY manage.py security_matrix

export MOTCUA_VAR_DIR MOTCUA_DEMO=1
MOTCUA_VAR_DIR=$(mktemp -d "${TMPDIR:-/tmp}/motcua-security.XXXXXX")
PORT=$($PY -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
$PY manage.py migrate --noinput >/dev/null
$PY manage.py demo_seed >/dev/null
$PY manage.py demo_dossiers >/dev/null
$PY manage.py metrics_rebuild >/dev/null
setsid $PY manage.py runserver "127.0.0.1:$PORT" --noreload >"$MOTCUA_VAR_DIR/web.log" 2>&1 &
web=$!
cleanup() {
  kill -- -"$web" 2>/dev/null || true
  wait "$web" 2>/dev/null || true
  [[ -n "${SECURITY_KEEP:-}" ]] && echo "kept $MOTCUA_VAR_DIR" || rm -rf "$MOTCUA_VAR_DIR"
}
trap cleanup EXIT
for _ in $(seq 1 60); do curl -fsS -o /dev/null "$BASE/healthz" 2>/dev/null && break; sleep 1; done

# Start points besides the crawl: every page a person reaches from the menu, with the parameters the
# dashboard's drill-down and report take, so the scanner attacks them even where a link needs JavaScript.
starts=()
for path in / /ho-so/ /ho-so/tiep-nhan/ /ho-so/cho-tiep-nhan/ /giam-sat/ /chi-so/ "/chi-so/ho-so/?figure=received&agency=1" \
  "/chi-so/bao-cao.xlsx?by=unit&agency=1" /thu-tuc/ "/tra-cuu/?code=X&verify=1234" /thong-ke/ /api/v1/procedures/; do
  starts+=(-s "$BASE$path")
done

reports=()
for role in $ROLES; do
  out="$MOTCUA_VAR_DIR/wapiti-$role.json"
  cookie=()
  if [[ $role != anonymous ]]; then
    $PY scripts/security_login.py "$BASE" "$role" "$MOTCUA_VAR_DIR/cookie-$role.json"
    cookie=(-c "$MOTCUA_VAR_DIR/cookie-$role.json")
  fi
  echo "== wapiti as $role (≤ ${SCAN_SECONDS}s)"
  # Only modules that attack this server: no module that calls an outside endpoint (ssrf, xxe), downloads a
  # database (nikto, wapp), brute-forces paths (buster, backup, htaccess: whitenoise serves no directory) or
  # sleeps per request (blindsql; sql still finds error-based injection); --no-bugreport keeps it on loopback.
  # The logout forms and the language switch are excluded: the crawler submits forms, and logging out would
  # end the session it is testing (scripts/wapiti_run.py makes -x work on Python 3.11).
  /usr/bin/python3 scripts/wapiti_run.py -u "$BASE/" --scope folder "${cookie[@]}" \
    -x "$BASE/accounts/logout/" -x "$BASE/admin/logout/" -x "$BASE/i18n/setlang/" \
    "${starts[@]}" \
    -m "xss,permanentxss,sql,exec,file,redirect,crlf,csp,cookieflags,http_headers,csrf,methods" \
    --flush-session --store-session "$MOTCUA_VAR_DIR/session-$role" --store-config "$MOTCUA_VAR_DIR/config-$role" \
    --max-scan-time "$SCAN_SECONDS" --max-attack-time "$((SCAN_SECONDS / 4))" -d 3 --max-links-per-page 40 \
    --max-files-per-dir 30 -t 10 -v 0 --no-bugreport -f json -o "$out" >"$MOTCUA_VAR_DIR/wapiti-$role.log" 2>&1 || {
      tail -n 20 "$MOTCUA_VAR_DIR/wapiti-$role.log" >&2
      exit 1
    }
  reports+=("$role=$out")
done

$PY scripts/security_report.py "${reports[@]}"
