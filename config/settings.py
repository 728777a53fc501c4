"""Settings read from the environment (django-environ).

With nothing set, motcua runs on SQLite and kombu's filesystem transport (an embedded broker
that needs no server), so a fresh clone starts with one command. Production sets
``DATABASE_URL`` (PostgreSQL) and ``CELERY_BROKER_URL`` (Redis or RabbitMQ); see
``.env.example`` for every variable. The settings are production's (secret key required, secure cookies,
second factor) unless ``MOTCUA_DEMO=1``, which ``make run`` sets for the local demo.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("MOTCUA_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# --- Demo mode and the secret key (fail closed) -------------------------------------------------------------
# Demo mode is what `make run` starts: a published secret key, plain-http cookies on 127.0.0.1, optional
# second factor. It is off unless MOTCUA_DEMO=1, so a production host that forgets a variable refuses to start
# instead of running with the public key (Decree 85/2016 and TCVN 11930:2017, level 3: secure configuration).
MOTCUA_DEMO = env.bool("MOTCUA_DEMO", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or (
    "insecure-demo-key-do-not-use-in-production" if MOTCUA_DEMO else ""
)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is not set. Production (MOTCUA_DEMO unset or 0) needs its own secret key, e.g. "
        "DJANGO_SECRET_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(50))'); "
        "for the local demo set MOTCUA_DEMO=1 (`make run` does)."
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin on motcua's site (refuses a user who owes the second factor), see config/apps.py.
    "config.apps.MotcuaAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "viewflow",
    "viewflow.workflow",
    "django_fsm",
    "django_filters",
    "rest_framework",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "sla",
    "procedures",
    "workflows",
    "metrics",
    # Hardened settings: login throttling, TOTP second factor, Content-Security-Policy.
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified() (django-otp), then the second-factor gate (config/twofactor.py).
    "django_otp.middleware.OTPMiddleware",
    "config.twofactor.SecondFactorMiddleware",
    # viewflow's Material UI reads the current site/application from the request.
    "viewflow.middleware.SiteMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns django-ratelimit's refusal into RATELIMIT_VIEW's 429 page (public lookup, catalogue).
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Turns django-axes' lockout into the lockout page (last, as django-axes requires).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'motcua.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout let the web process, the worker and beat share one SQLite file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
# WhiteNoise serves static files from the app process, so the admin is styled without a separate web
# server; in production run `collectstatic` and set WHITENOISE_USE_FINDERS=0.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Project-wide static files (config/static: the page behaviours script that replaces inline handlers).
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=True)
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "/"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username + address before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Unit memberships as viewflow queue permissions (workflows.policy).
    "workflows.policy.UnitRoleBackend",
]

# --- E-mail: console in the demo, SMTP when EMAIL_URL is set (e.g. smtp://user:pass@host:587) ------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="motcua <no-reply@motcua.local>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Celery ---------------------------------------------------------------------------------
_broker_dir = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None) or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "config.tasks.heartbeat", "schedule": env.float("HEARTBEAT_SECONDS", default=60.0)},
    "sla-calendar-horizon": {"task": "sla.tasks.check_calendar_horizon", "schedule": 24 * 3600.0},
}

# --- Working-time calendar (domain.md §2.2–2.3) ----------------------------------------------
# Office sessions: default Mon–Fri 07:00–11:30 and 13:30–17:00 [domain §2.2, C-impl]; a
# province sets its own.
SLA_OFFICE_HOURS = env.list("SLA_OFFICE_HOURS", default=["07:00-11:30", "13:30-17:00"])
SLA_FIRST_YEAR = env.int("SLA_FIRST_YEAR", default=2015)
SLA_LAST_YEAR = env.int("SLA_LAST_YEAR", default=2040)
# Default receipt cut-off mode (domain §2.3: after_close | after_15h | none).
SLA_DEFAULT_CUTOFF = env.str("SLA_DEFAULT_CUTOFF", default="after_close")
SLA_CUTOFF_TIME = env.str("SLA_CUTOFF_TIME", default="15:00")
# Seconds a process reuses a calendar before re-reading the override rows (edits in-process apply at once).
SLA_CALENDAR_RECHECK_SECONDS = env.float("SLA_CALENDAR_RECHECK_SECONDS", default=5.0)

# --- Dossiers (domain.md §7, §2.4) --------------------------------------------------------------------
# Dossier code prefix; empty = the deciding agency's electronic identifier (its code if it has none).
DOSSIER_CODE_PREFIX = env.str("DOSSIER_CODE_PREFIX", default="")
# AA of the TT 04/2025 code (two digits of the system owner's e-ID); empty = legacy <e-ID>-YYMMDD-NNNN.
DOSSIER_CODE_SYSTEM_DIGITS = env.str("DOSSIER_CODE_SYSTEM_DIGITS", default="")
# How often beat sweeps SLA states and sends threshold notices (seconds).
SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=300.0)
# Most notices one sweep sends (the oldest crossings first; the rest wait for the next run).
SLA_SWEEP_MAX_NOTICES = env.int("SLA_SWEEP_MAX_NOTICES", default=2000)
# A claim left by a crashed worker is released (and retried) after this many seconds.
SLA_SWEEP_STALE_CLAIM_SECONDS = env.int("SLA_SWEEP_STALE_CLAIM_SECONDS", default=1800)
CELERY_BEAT_SCHEDULE["sla-sweep"] = {"task": "workflows.tasks.sla_sweep", "schedule": SLA_SWEEP_SECONDS}
CELERY_BEAT_SCHEDULE["viewflow-timers"] = {
    "task": "workflows.tasks.fire_viewflow_timers",
    "schedule": env.float("VIEWFLOW_TIMERS_SECONDS", default=60.0),
}

# --- Indicators, reports, Prometheus (domain.md §2.4, §3–§6; issue 4) ---------------------------------
# Handling deadline of a complaint/recommendation (PAKN), in working days (766 indicator 5.2 [U]).
COMPLAINT_HANDLING_WORKING_DAYS = env.int("COMPLAINT_HANDLING_WORKING_DAYS", default=15)
# 766 full-score targets in percent, overriding the defaults of metrics/indicators.py, e.g. "3.5b=80,3.6=80";
# 0 = linear scoring (max × ratio) for that indicator.
QD766_TARGETS = {k: float(v) for k, v in env.dict("QD766_TARGETS", default={}).items()}
# Multiply 766 indicator 3.3 by the sync ratio (indicator 1.4) as the portal does (domain §3.2); off = 1.0.
QD766_ONLINE_SHARE_TIMES_SYNC = env.bool("QD766_ONLINE_SHARE_TIMES_SYNC", default=True)
# Time-reduction target (percent below the statutory term) by year when an agency sets none (domain §5).
TIME_REDUCTION_TARGETS = {int(k): float(v) for k, v in env.dict("TIME_REDUCTION_TARGETS", default={}).items()}
TIME_REDUCTION_DEFAULT_TARGET = env.float("TIME_REDUCTION_DEFAULT_TARGET", default=30.0)
# Bearer token Prometheus must send to /metrics; empty = /metrics answers loopback clients only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Reverse proxies (IP addresses or networks, comma-separated) believed about the client they relay, for
# /metrics and /healthz details (metrics/trust.py); empty = none: any forwarding header means "not local".
METRICS_TRUSTED_PROXIES = env.list("METRICS_TRUSTED_PROXIES", default=[])
# Bearer token that shows /healthz's failure details from anywhere (METRICS_TOKEN works too); empty = only
# requests from this host see them.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
# Agency level used as the `agency` label of business gauges (bounded cardinality): province | department
# | unit | commune — a dossier is counted under its deciding agency's ancestor at this level (or itself).
METRICS_AGENCY_LEVEL = env.str("METRICS_AGENCY_LEVEL", default="department")
# How often beat refreshes the rollups of the current month (in-progress figures move with the clock).
METRICS_REFRESH_SECONDS = env.float("METRICS_REFRESH_SECONDS", default=600.0)
CELERY_BEAT_SCHEDULE["metrics-refresh"] = {
    "task": "metrics.tasks.rollups_refresh_current",
    "schedule": METRICS_REFRESH_SECONDS,
}


# --- issue 5: public pages, REST API, outbox -------------------------------------------------------------
# Absolute address of the public site, printed as the QR code on Mẫu 01 (the lookup page's address).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# Rate limits of the public pages (django-ratelimit): per client IP and per dossier code, so codes cannot
# be enumerated. The counters live in RATELIMIT_CACHE: Redis when CACHE_URL points there (shared by every
# web process), a per-process memory cache otherwise.
PUBLIC_LOOKUP_RATE_IP = env.str("PUBLIC_LOOKUP_RATE_IP", default="30/m")
PUBLIC_LOOKUP_RATE_CODE = env.str("PUBLIC_LOOKUP_RATE_CODE", default="10/h")
PUBLIC_PAGE_RATE_IP = env.str("PUBLIC_PAGE_RATE_IP", default="300/m")
PUBLIC_STATISTICS_CACHE_SECONDS = env.int("PUBLIC_STATISTICS_CACHE_SECONDS", default=300)
if CACHES["default"]["BACKEND"].endswith(("RedisCache", "PyMemcacheCache", "PyLibMCCache")):
    RATELIMIT_USE_CACHE = "default"
else:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "ratelimit",
    }
    RATELIMIT_USE_CACHE = "ratelimit"
    # A per-process cache is fine for the zero-setup default; production sets CACHE_URL to Redis.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_VIEW = "workflows.views.public.rate_limited"
# Behind a reverse proxy set to REMOTE_ADDR's replacement, e.g. "HTTP_X_REAL_IP" (the proxy must set it).
RATELIMIT_IP_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="") or None

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["workflows.api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["workflows.api.auth.HasScope"],
    "DEFAULT_PAGINATION_CLASS": "procedures.api.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "workflows.api.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "workflows.api.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["workflows.api.auth.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": env.str("API_RATE_PER_CLIENT", default="6000/m")},
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "motcua API",
    "DESCRIPTION": "REST API of motcua: procedure catalogue, online dossier intake, dossiers and their "
    "events, lifecycle actions, indicators (Decision 766/QĐ-TTg). Authenticate with "
    "`Authorization: Api-Key <key>`; errors are RFC 9457 problem+json.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI served from our own static files (drf-spectacular-sidecar): /api/docs/ works on an
    # intranet without a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "DossierStatusEnum": "workflows.choices.DossierStatus",
    "ResultDeliveryEnum": "workflows.choices.ResultDelivery",
}
API_KEY_CUSTOM_HEADER = "HTTP_X_API_KEY"

# Outbox delivery to subscribers (webhooks): back-off base × 2^attempt seconds, capped; dead after N tries.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_BACKOFF_BASE_SECONDS = env.float("OUTBOX_BACKOFF_BASE_SECONDS", default=30.0)
OUTBOX_BACKOFF_MAX_SECONDS = env.float("OUTBOX_BACKOFF_MAX_SECONDS", default=6 * 3600.0)
OUTBOX_TIMEOUT_SECONDS = env.float("OUTBOX_TIMEOUT_SECONDS", default=10.0)
OUTBOX_BATCH = env.int("OUTBOX_BATCH", default=200)
OUTBOX_DELIVER_SECONDS = env.float("OUTBOX_DELIVER_SECONDS", default=30.0)
CELERY_BEAT_SCHEDULE["outbox-deliver"] = {
    "task": "workflows.tasks.outbox_deliver",
    "schedule": OUTBOX_DELIVER_SECONDS,
}


# --- Hardened settings: transport, cookies, login throttling, second factor, CSP, session timeout ----------
# Security level 3 information system (Decree 85/2016/NĐ-CP, TCVN 11930:2017): production defaults are the
# secure ones; the demo (MOTCUA_DEMO=1) keeps them off so it works on http://127.0.0.1. Every variable is
# listed in .env.example; deploy/production.env.example is the environment `check --deploy` is tested with.
_SECURE_DEFAULT = not MOTCUA_DEMO
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=_SECURE_DEFAULT)
# Load balancers and Prometheus reach these two over the internal network in plain http.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
# "HTTP_X_FORWARDED_PROTO,https" behind a TLS proxy that is not in gunicorn's FORWARDED_ALLOW_IPS; the proxy
# must overwrite the header. Empty = trust request.is_secure() as the WSGI server reports it.
SECURE_PROXY_SSL_HEADER = tuple(env.list("DJANGO_SECURE_PROXY_SSL_HEADER", default=[])) or None
USE_X_FORWARDED_HOST = env.bool("DJANGO_USE_X_FORWARDED_HOST", default=False)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000 if _SECURE_DEFAULT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_SECURE_DEFAULT)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=_SECURE_DEFAULT)
SECURE_CONTENT_TYPE_NOSNIFF = env.bool("DJANGO_SECURE_CONTENT_TYPE_NOSNIFF", default=True)
SECURE_REFERRER_POLICY = env.str("DJANGO_SECURE_REFERRER_POLICY", default="same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=_SECURE_DEFAULT)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=_SECURE_DEFAULT)
SESSION_COOKIE_HTTPONLY = env.bool("DJANGO_SESSION_COOKIE_HTTPONLY", default=True)
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = env.str("DJANGO_X_FRAME_OPTIONS", default="DENY")

# Session timeout after inactivity: the cookie's age restarts with every request, so an unattended desk
# session ends MOTCUA_SESSION_IDLE_MINUTES after its last use.
MOTCUA_SESSION_IDLE_MINUTES = env.int("MOTCUA_SESSION_IDLE_MINUTES", default=30)
SESSION_COOKIE_AGE = MOTCUA_SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True

# Login throttling (django-axes) on /accounts/login/ and /admin/login/: after LOGIN_FAILURE_LIMIT wrong
# passwords for one username from one address, that pair is locked for LOGIN_LOCKOUT_MINUTES (0 = until an
# administrator unlocks it: admin "Access attempts" or `manage.py axes_reset_username`). Counting the pair,
# not the username alone, means an attacker elsewhere cannot lock a clerk out, and a shared office address
# does not lock the whole office.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
_lockout_minutes = env.int("LOGIN_LOCKOUT_MINUTES", default=30)
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes else None
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No start-up banner on every manage.py run (commands print one-line errors); lockouts are still logged.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "config.login_throttle.lockout_response"
AXES_COOLOFF_MESSAGE = _("Tài khoản tạm khóa do đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.")
AXES_PERMALOCK_MESSAGE = _(
    "Tài khoản bị khóa do đăng nhập sai quá nhiều lần. Liên hệ quản trị hệ thống để mở khóa."
)
# The client address as the public rate limits see it (RATELIMIT_IP_META_KEY behind a proxy).
AXES_CLIENT_IP_CALLABLE = "config.login_throttle.client_ip"

# TOTP second factor (django-otp) for superusers, staff and the administrator and supervisor roles: required
# at login when MOTCUA_2FA_REQUIRED (default: on outside the demo); in the demo any user may enrol and is then
# asked for a code at every login.
MOTCUA_2FA_REQUIRED = env.bool("MOTCUA_2FA_REQUIRED", default=not MOTCUA_DEMO)
OTP_TOTP_ISSUER = env.str("MOTCUA_2FA_ISSUER", default="motcua")
# The admin never shows a device's key or QR code: the administrator role may delete a lost device, and
# whoever reads the key computes the codes (TCVN 11930:2017, authentication data kept secret).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Content-Security-Policy (django-csp): scripts only from our own static files — no inline script, no eval —
# so an injected <script> or on*= attribute does not run. Styles allow 'unsafe-inline' because viewflow's
# Material templates and Django's admin carry style="…" attributes (dozens) that neither nonces nor hashes can
# cover; CSS cannot run code, and templates escape user text anyway.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# --- Tamper-evident audit and retention (Decree 85/2016/NĐ-CP, TCVN 11930:2017; Decree 13/2023/NĐ-CP) ------
# The daily hash-chain check covers the dossiers with events in the last AUDIT_VERIFY_DAYS days.
AUDIT_VERIFY_DAYS = env.int("AUDIT_VERIFY_DAYS", default=7)
# Retention in days: idempotency keys, acknowledged outbox rows, personal-data access log (at least 730).
IDEMPOTENCY_KEY_RETENTION_DAYS = env.int("IDEMPOTENCY_KEY_RETENTION_DAYS", default=7)
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=90)
PERSONAL_DATA_ACCESS_RETENTION_DAYS = env.int("PERSONAL_DATA_ACCESS_RETENTION_DAYS", default=730)
_DAILY = env.float("AUDIT_TASKS_SECONDS", default=24 * 3600.0)
CELERY_BEAT_SCHEDULE["audit-verify"] = {"task": "workflows.tasks.audit_verify", "schedule": _DAILY}
CELERY_BEAT_SCHEDULE["idempotency-purge"] = {"task": "workflows.tasks.idempotency_purge", "schedule": _DAILY}
CELERY_BEAT_SCHEDULE["outbox-purge"] = {"task": "workflows.tasks.outbox_purge", "schedule": _DAILY}
CELERY_BEAT_SCHEDULE["access-log-purge"] = {"task": "workflows.tasks.access_log_purge", "schedule": _DAILY}
