"""The image's one HEALTHCHECK serves the web and the worker containers: it reads the role from
the container's main process."""

import pytest

from djangopackages.healthcheck import role


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["gunicorn", "djangopackages.wsgi", "--access-logfile", "-"], "web"),
        (["python", "manage.py", "db_worker"], "worker"),
        (["python", "manage.py", "rqworker", "default", "--job-class", "x"], "worker"),
        (["sh", "-c", "python manage.py migrate && exec gunicorn djangopackages.wsgi"], "web"),
    ],
)
def test_the_role_comes_from_the_main_process(tmp_path, command, expected):
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"\0".join(word.encode() for word in command) + b"\0")
    assert role(cmdline) == expected


def test_without_a_readable_main_process_the_role_is_web(tmp_path):
    assert role(tmp_path / "missing") == "web"
