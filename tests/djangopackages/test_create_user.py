"""`manage.py create_user`: the normal account README's write examples use."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def test_create_user_makes_a_normal_user_that_can_log_in(client, capsys):
    call_command("create_user", "alice", "--password", "correct horse battery")

    user = get_user_model().objects.get(username="alice")
    assert not user.is_staff
    assert not user.is_superuser
    assert "created user 'alice'" in capsys.readouterr().out
    assert client.login(username="alice", password="correct horse battery")


def test_create_user_prints_the_random_password_it_chose(client, capsys):
    call_command("create_user", "bob")

    password = capsys.readouterr().out.rsplit("password ", 1)[1].strip().strip("'")
    assert client.login(username="bob", password=password)


def test_create_user_refuses_an_existing_name_and_keeps_its_password(client):
    call_command("create_user", "alice", "--password", "correct horse battery")

    with pytest.raises(CommandError, match="already exists"):
        call_command("create_user", "alice", "--password", "another long password")
    assert client.login(username="alice", password="correct horse battery")


def test_create_user_refuses_a_weak_password_with_the_reason():
    with pytest.raises(CommandError, match="too common"):
        call_command("create_user", "carol", "--password", "password")
    assert not get_user_model().objects.filter(username="carol").exists()


def test_create_user_refuses_an_empty_password_instead_of_choosing_one():
    with pytest.raises(CommandError, match="--password is empty"):
        call_command("create_user", "dave", "--password", "")
    assert not get_user_model().objects.filter(username="dave").exists()
