"""Settings read from the environment: refusal without SECRET_KEY and a clean deploy check."""

import ast
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean = {key: value for key, value in os.environ.items() if key not in _SETTINGS_VARS}
    clean.update(DJANGOPACKAGES_DOTENV="0", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


_SETTINGS_VARS = {
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "CSRF_TRUSTED_ORIGINS",
    "TRUST_X_FORWARDED_PROTO",
    "TRUSTED_PROXY_COUNT",
    "DATABASE_URL",
}


def production_env():
    return {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "djangopackages.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://djangopackages.example.org",
        "TRUST_X_FORWARDED_PROTO": "1",
        "TRUSTED_PROXY_COUNT": "1",
    }


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = run_manage("check")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "configuration error: SECRET_KEY is not set: set it in the environment "
        "(or DEBUG=1 for local development)."
    ]


def test_debug_mode_starts_without_secret_key():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_bad_boolean_is_a_one_line_error():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "configuration error: DEBUG must be 1/0, true/false, yes/no or on/off, not 'maybe'."
    ]


def test_deploy_check_is_clean_in_a_production_environment():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_flags_a_tls_proxy_whose_forwarded_addresses_are_not_trusted():
    env = production_env() | {"TRUSTED_PROXY_COUNT": "0"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "api.W001" in result.stderr
    assert "TRUSTED_PROXY_COUNT=1" in result.stderr


def test_deploy_check_flags_a_missing_ssl_redirect():
    env = production_env() | {"SECURE_SSL_REDIRECT": "0"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **env)
    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "True"),
        ({"SECURE_SSL_REDIRECT": "0"}, "False"),
        ({"DEBUG": "1"}, "False"),
    ],
)
def test_ssl_redirect_defaults_on_in_production(env, expected):
    code = "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT)"
    result = run_manage("shell", "--no-imports", "-c", code, **(production_env() | env))
    assert result.stdout.strip() == expected, result.stderr


def test_forwarded_proto_is_trusted_only_when_asked():
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    env = production_env()
    assert run_manage("shell", "--no-imports", "-c", code, **env).stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    env.pop("TRUST_X_FORWARDED_PROTO")
    assert run_manage("shell", "--no-imports", "-c", code, **env).stdout.strip() == "None"


def test_database_url_selects_postgresql():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    env = production_env() | {"DATABASE_URL": "postgres://u@db.example.org:5432/x"}
    assert run_manage("shell", "--no-imports", "-c", code, **env).stdout.strip() == (
        "common.postgresql"  # Django's, with a bound on every wait (docs/configuration.md)
    )
    env.pop("DATABASE_URL")
    assert (
        run_manage("shell", "--no-imports", "-c", code, **env).stdout.strip()
        == "django.db.backends.sqlite3"
    )


def test_empty_database_url_means_sqlite():
    code = "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])"
    result = run_manage("shell", "--no-imports", "-c", code, DEBUG="1", DATABASE_URL="")
    assert result.stdout.strip() == "django.db.backends.sqlite3", result.stderr


def test_unusable_database_url_is_a_one_line_error():
    result = run_manage("check", DEBUG="1", DATABASE_URL="mongodb://db/x")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("configuration error: DATABASE_URL is not a database URL")


def test_postgresql_connections_carry_timeouts_and_keepalives():
    code = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'])"
    url = "postgres://u@db.example.org:5432/x?options=-c%20work_mem%3D64MB"
    env = production_env() | {"DATABASE_URL": url, "DB_STATEMENT_TIMEOUT": "9"}
    env |= {"DB_KEEPALIVES_IDLE": "20", "DB_IDLE_IN_TRANSACTION_TIMEOUT": "45"}
    env |= {"DB_LOCK_TIMEOUT_MS": "700"}

    options = ast.literal_eval(run_manage("shell", "--no-imports", "-c", code, **env).stdout)

    assert options["options"] == (
        "-c statement_timeout=9s -c idle_in_transaction_session_timeout=45s"
        " -c lock_timeout=700ms -c work_mem=64MB"
    )
    assert (options["keepalives"], options["keepalives_idle"]) == (1, 20)
    assert (options["keepalives_interval"], options["keepalives_count"]) == (10, 3)
    assert options["connect_timeout"] == 5


def test_a_dotenv_file_fills_what_the_environment_leaves_unset(tmp_path, monkeypatch):
    from djangopackages.settings import read_dotenv

    for name in ("DP_H27_KEY", "DP_H27_QUOTED", "DP_H27_EXPORTED", "DP_H27_SET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DP_H27_SET", "from the environment")
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# written by make run\n"
        "DP_H27_KEY=abc-123_x\n"
        "DP_H27_QUOTED='a b'\n"
        "export DP_H27_EXPORTED=1\n"
        "DP_H27_SET=from the file\n"
    )

    read_dotenv(dotenv)
    read_dotenv(tmp_path / "missing.env")  # no file: nothing to read, no error

    assert os.environ["DP_H27_KEY"] == "abc-123_x"
    assert os.environ["DP_H27_QUOTED"] == "a b"
    assert os.environ["DP_H27_EXPORTED"] == "1"
    assert os.environ["DP_H27_SET"] == "from the environment"
