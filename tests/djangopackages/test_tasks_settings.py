"""TASKS_BACKEND picks the task queue: the database by default, RQ over Redis when asked."""

import pytest

from tests.djangopackages.test_settings import run_manage

SHOW_BACKEND = (
    "from django.conf import settings; from django_tasks import task_backends; "
    "print(type(task_backends['default']).__name__, 'django_rq' in settings.INSTALLED_APPS)"
)


def show_backend(**env):
    return run_manage(
        "shell", "--no-imports", "-c", SHOW_BACKEND, **{"DEBUG": "1", "REDIS_URL": "", **env}
    )


def test_the_database_queue_is_the_default():
    result = show_backend()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "DatabaseBackend False"


def test_rq_is_one_variable_away():
    result = show_backend(TASKS_BACKEND="rq", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "RQBackend True"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TASKS_BACKEND": "rq"}, "TASKS_BACKEND=rq needs REDIS_URL (or TASKS_REDIS_URL)."),
        (
            {"TASKS_BACKEND": "celery"},
            "TASKS_BACKEND must be one of database, rq, immediate, not 'celery'.",
        ),
    ],
)
def test_a_bad_backend_choice_is_a_one_line_error(env, message):
    result = show_backend(**env)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"configuration error: {message}"]
