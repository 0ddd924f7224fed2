"""gunicorn's settings, read from the working directory by every way the site is served (`make
run`, the Docker image, README's command lines), so their command lines stay short.

Forwarded headers: gunicorn trusts none, from any peer. Whether `X-Forwarded-Proto` counts is
Django's decision alone (`TRUST_X_FORWARDED_PROTO` sets SECURE_PROXY_SSL_HEADER), so a
plain-http client can never get https links by sending the header.

Request limits: the request line and each header may be 8190 bytes (gunicorn's maxima), at
most 100 headers. Anything within reaches Django, which answers under /api/ in JSON; beyond
them gunicorn itself answers with a plain 400 (headers) or 414 (request line).

No control socket: gunicorn's default is one path per user (~/.gunicorn/gunicorn.ctl), which
every checkout and container of that user would share and fight over; nothing here uses it.
"""

forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}
limit_request_line = 8190
limit_request_field_size = 8190
limit_request_fields = 100
control_socket_disable = True
