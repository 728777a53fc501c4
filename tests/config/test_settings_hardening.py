"""Settings fail closed: demo mode only when asked for, a secret key in production, a clean `check --deploy`.

Each settings variant is loaded in a fresh interpreter (``subprocess``) with an environment built here,
because Django reads its settings once per process.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = ROOT / "deploy" / "production.env.example"


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The parent's environment without any motcua/Django variable (a fresh machine), plus ``extra``."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({"MOTCUA_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(ROOT)})
    env.update(extra)
    return env


def _run(code: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def _read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of an env file (comments and blank lines skipped), as django-environ reads them."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


SETUP = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup(); "


def test_nothing_set_means_production_and_no_secret_key_refuses_to_start(tmp_path):
    result = _run(SETUP + "print('started')", _clean_env(tmp_path), tmp_path)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_demo_mode_starts_with_the_demo_key_and_plain_http_cookies(tmp_path):
    code = SETUP + (
        "from django.conf import settings as s; "
        "print(s.MOTCUA_DEMO, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.MOTCUA_2FA_REQUIRED)"
    )
    result = _run(code, _clean_env(tmp_path, MOTCUA_DEMO="1"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False", "False", "0", "False"]


def test_production_defaults_are_secure(tmp_path):
    code = SETUP + (
        "from django.conf import settings as s; "
        "print(s.MOTCUA_DEMO, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0, s.SESSION_COOKIE_HTTPONLY, s.X_FRAME_OPTIONS, s.MOTCUA_2FA_REQUIRED)"
    )
    env = _clean_env(tmp_path, DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    result = _run(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "True", "True", "DENY", "True"]


def test_secure_settings_come_from_the_environment(tmp_path):
    code = SETUP + (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.USE_X_FORWARDED_HOST, s.SECURE_HSTS_SECONDS, "
        "s.CSRF_TRUSTED_ORIGINS)"
    )
    env = _clean_env(
        tmp_path,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
        DJANGO_USE_X_FORWARDED_HOST="1",
        DJANGO_SECURE_HSTS_SECONDS="600",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://motcua.example.gov.vn",
    )
    result = _run(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') True 600 ['https://motcua.example.gov.vn']"
    )


@pytest.mark.parametrize("env_file", [PRODUCTION_ENV, ROOT / ".env.example"], ids=lambda p: p.name)
def test_check_deploy_is_clean_with_the_production_example_environment(tmp_path, env_file):
    values = _read_env_file(env_file)
    assert values.get("MOTCUA_DEMO", "0") in {"0", "false", "False", ""}
    # The example leaves the secret empty on purpose (each installation generates its own).
    if not values.get("DJANGO_SECRET_KEY"):
        values["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    # Only Django's checks run: no database or broker is contacted by `check`.
    env = _clean_env(tmp_path, **values)
    env["MOTCUA_VAR_DIR"] = str(tmp_path / "var")
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_all_four_password_validators(settings):
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


@pytest.mark.django_db
def test_common_and_numeric_passwords_are_refused():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("password123", "73829104"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Ngày-hội-một-cửa-2026")
