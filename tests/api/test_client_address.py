"""Whose budget a request spends: the socket peer, or with `TRUSTED_PROXY_COUNT` proxies the
address they appended to `X-Forwarded-For`; and a proxy set-up that makes every visitor one
address is reported by the deploy check, at start-up and on /healthz."""

import logging

import pytest
from django.core.checks import run_checks
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def _trust(settings, count):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}


def test_a_forged_forwarded_for_header_does_not_reset_the_bucket(rates):
    rates(anon="1/min burst=2")
    client = APIClient()

    codes = [
        client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(4)
    ]

    assert codes == [200, 200, 429, 429]


def test_with_a_trusted_proxy_the_address_it_appended_is_the_client(rates, settings):
    rates(anon="1/min burst=1")
    _trust(settings, 1)
    client = APIClient(REMOTE_ADDR="10.0.0.2")

    def get(forwarded_for):
        return client.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=forwarded_for).status_code

    assert get("203.0.113.1") == 200
    assert get("203.0.113.2") == 200
    # A client's own forged entries come first; the proxy appends the real address last.
    assert get("198.51.100.7, 203.0.113.1") == 429


def test_every_request_from_one_private_address_with_forwarded_for_is_reported(settings, caplog):
    caplog.set_level(logging.WARNING, logger="api.client_address")
    _trust(settings, 0)
    proxy = APIClient(REMOTE_ADDR="10.0.0.2")
    before = proxy.get("/healthz").json()

    for n in range(25):
        proxy.get("/api/v4/categories/", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    after = proxy.get("/healthz").json()

    assert before["warnings"] == []
    assert after["status"] == "ok"
    assert len(after["warnings"]) == 1
    assert "TRUSTED_PROXY_COUNT" in after["warnings"][0]
    assert "10.0.0.2" in after["warnings"][0]
    assert [record.getMessage() for record in caplog.records] == after["warnings"]


def test_direct_clients_are_not_reported(settings):
    _trust(settings, 0)

    for n in range(25):
        APIClient(REMOTE_ADDR=f"198.51.100.{n}").get("/api/v4/categories/")

    assert APIClient().get("/healthz").json()["warnings"] == []


def test_fewer_forwarded_addresses_than_trusted_proxies_is_reported(settings):
    _trust(settings, 2)

    APIClient(REMOTE_ADDR="10.0.0.2").get("/api/v4/categories/", HTTP_X_FORWARDED_FOR="1.2.3.4")

    (warning,) = APIClient().get("/healthz").json()["warnings"]
    assert "TRUSTED_PROXY_COUNT=2" in warning


def test_the_deploy_check_warns_behind_a_tls_proxy_without_trusted_proxies(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _trust(settings, 0)

    ids = [message.id for message in run_checks(include_deployment_checks=True)]

    assert "api.W001" in ids


def test_the_deploy_check_is_quiet_with_trusted_proxies(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    _trust(settings, 1)

    ids = [message.id for message in run_checks(include_deployment_checks=True)]

    assert "api.W001" not in ids
