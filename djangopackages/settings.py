"""Every setting of the service, read once from the environment (see README, "Configuration")."""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from common.postgresql import connection_options
from djangopackages.environment import env_bool, env_int, env_list, read_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent


if os.environ.get("DJANGOPACKAGES_DOTENV", "1") != "0":
    read_dotenv(BASE_DIR / ".env")


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: set it in the environment (or DEBUG=1 for local development)."
        )
    SECRET_KEY = "django-insecure-local-development-only"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # django.contrib.admin, with the index grouped for curators.
    "djangopackages.admin_site.CatalogueAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "djangopackages",
    "categories",
    "packages",
    "packages.fetch",
    "grids",
    "catalogue",
    "demo",
    "api",
    # After ours: packages' `db_worker` (with a heartbeat) is found before theirs.
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # Counts and times every response for /metrics while METRICS_ENABLED (api/metrics.py).
    "api.metrics.MetricsMiddleware",
    # Outermost, so it sees every HTML error page Django makes under /api/ (DEBUG included).
    "common.errors.ApiJsonErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Every HTML page: default-src 'self', no inline script/style (common/csp.py).
    "common.csp.ContentSecurityPolicyMiddleware",
    "common.errors.DatabaseUnavailableMiddleware",
    "api.middleware.RequestBodyLimitMiddleware",
    "api.middleware.MethodNotAllowedMiddleware",
    # Counts pages, feeds and badges (DRF views count their own); rate-limit headers on every
    # response (api/throttling.py).
    "api.throttling.ThrottleMiddleware",
    # Innermost: a read this process answered and kept is answered again before URL resolution
    # (api/reads.py, api/read_cache.py).
    "api.reads.KeptReadMiddleware",
]

ROOT_URLCONF = "djangopackages.urls"

# The name people see in the browsable API's navbar and title, and in the feeds.
SITE_NAME = os.environ.get("SITE_NAME", "").strip() or "Django Packages"
WSGI_APPLICATION = "djangopackages.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: an SQLite file here unless DATABASE_URL names another (PostgreSQL in production).
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
try:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL Django can use: {exc}"
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the fetcher write at once: take the write lock at BEGIN and wait for
    # it, instead of failing a lock upgrade mid-transaction; WAL lets readers run meanwhile.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE",
        timeout=20,
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    )
# PostgreSQL: a refused, dead or stalled database answers every request at once or within a
# bound, never holds it until gunicorn kills the worker (README, "Database"): the server ends
# slow statements and forgotten transactions, keepalives find a dead peer on an idle connection,
# the backend (common/postgresql) stops waiting on a silent one.
DB_STATEMENT_TIMEOUT = env_int("DB_STATEMENT_TIMEOUT", 10)
DB_STALL_TIMEOUT = env_int("DB_STALL_TIMEOUT", DB_STATEMENT_TIMEOUT and DB_STATEMENT_TIMEOUT + 5)
# Session settings sent at connect (libpq `options`, `-c name=value`): add new ones here.
POSTGRESQL_SESSION_SETTINGS = {
    "statement_timeout": f"{DB_STATEMENT_TIMEOUT}s",
    "idle_in_transaction_session_timeout": f"{env_int('DB_IDLE_IN_TRANSACTION_TIMEOUT', 120)}s",
    # A statement waiting for a row lock another write holds gives up (a JSON 409 under /api/).
    "lock_timeout": f"{env_int('DB_LOCK_TIMEOUT_MS', 5000)}ms",
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "common.postgresql"
    DATABASES["default"]["OPTIONS"] = connection_options(
        DATABASES["default"].get("OPTIONS", {}),
        POSTGRESQL_SESSION_SETTINGS,
        connect_timeout=env_int("DB_CONNECT_TIMEOUT", 5),
        keepalives=1,
        keepalives_idle=env_int("DB_KEEPALIVES_IDLE", 30),
        keepalives_interval=env_int("DB_KEEPALIVES_INTERVAL", 10),
        keepalives_count=env_int("DB_KEEPALIVES_COUNT", 3),
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "common.redis_cache.DegradingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "djangopackages"),
            # Redis is an accelerator: an unreachable one must fail fast, not hold requests.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# API throttle buckets (api/rate_limits.py): in Redis when configured, shared by every worker.
# Without Redis they live in each worker's memory (N workers allow up to N times the rate), so a
# read never writes to the database; see docs/api.md, "Throttles".
CACHES["throttle"] = (
    {**CACHES["default"], "KEY_PREFIX": f"{CACHES['default']['KEY_PREFIX']}:throttle"}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
)

# A login without `next` (the browsable API's, or a bookmarked form) lands on the API root.
LOGIN_REDIRECT_URL = "/api/v4/"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "common.storage.ForgivingManifestStaticFilesStorage"
        )
    },
}

# HTTPS: on by default in production; a TLS proxy that already redirects sets SECURE_SSL_REDIRECT=0.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Joining the browsers' HSTS preload list is a one-way commitment an operator opts into.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "api.browsable.BrowsableRenderer",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 20,  # `limit` when absent or 0
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Token first: its `WWW-Authenticate` header makes anonymous writes 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.AnonThrottle", "api.throttling.UserThrottle"],
    # Token buckets, "N/period burst=B": B tokens at most, N more each period (the burst is N
    # unless given); period s, min, h or d, optionally with a count ("10/5min"). A request
    # takes one token (an uncached search more); why these defaults: docs/api.md#throttles.
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("THROTTLE_ANON", "20/s burst=1000"),
        "user": os.environ.get("THROTTLE_USER", "40/s burst=2000"),
        "create": os.environ.get("THROTTLE_CREATE", "20/h"),
        "token": os.environ.get("THROTTLE_TOKEN", "10/5min"),
        "usage": os.environ.get("THROTTLE_USAGE", "30/min"),
    },
    # How many proxies in front of us append to X-Forwarded-For (1 behind one TLS proxy); 0
    # means the socket peer is the client, so a client cannot pick its bucket by forging the
    # header (api/client_address.py reports a set-up that gets this wrong).
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
}

# Request bodies under /api/ larger than this are refused with 413.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 256 * 1024)
# What one grid may hold through the API (rows, columns, cells); beyond it a write is a 400.
GRID_MAX_PACKAGES = env_int("GRID_MAX_PACKAGES", 200)
GRID_MAX_FEATURES = env_int("GRID_MAX_FEATURES", 50)
GRID_MAX_CELLS = env_int("GRID_MAX_CELLS", 5000)

SPECTACULAR_SETTINGS = {
    "TITLE": "djangopackages API",
    "DESCRIPTION": "Reusable Django packages, comparison grids and their health stats.",
    "VERSION": "4",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v4",
    # The docs page's JavaScript is served from our own static files, not a CDN.
    "REDOC_DIST": "SIDECAR",
}

# The largest `limit` a list page honours (larger ones read as this); clients ask 200 and 500.
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 1000)
# Each web process keeps the anonymous detail and list answers it gave, until a stored document
# changes (api/read_cache.py): at most this many bytes of them (0: keep none), each at most
# API_READ_CACHE_SECONDS old.
API_READ_CACHE_BYTES = env_int("API_READ_CACHE_BYTES", 32 * 1024 * 1024)
API_READ_CACHE_SECONDS = env_int("API_READ_CACHE_SECONDS", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would write its records a second time.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}

# Stats fetcher (`manage.py fetch_stats`): API roots default to the public services; point them
# at a local stub in tests. Self-hosted GitLab / Forgejo instances are fetched only when listed.
GITHUB_API_URL = os.environ.get("GITHUB_API_URL", "https://api.github.com")
GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN", "")
GITLAB_API_URL = os.environ.get("GITLAB_API_URL", "https://gitlab.com/api/v4")
GITLAB_TOKEN = os.environ.get("GITLAB_TOKEN", "")
BITBUCKET_API_URL = os.environ.get("BITBUCKET_API_URL", "https://api.bitbucket.org/2.0")
CODEBERG_API_URL = os.environ.get("CODEBERG_API_URL", "https://codeberg.org/api/v1")
PYPI_URL = os.environ.get("PYPI_URL", "https://pypi.org")
GITLAB_HOSTS = env_list("GITLAB_HOSTS")
FORGEJO_HOSTS = env_list("FORGEJO_HOSTS")
FETCH_WORKERS = env_int("FETCH_WORKERS", 8)
FETCH_STALE_AFTER_HOURS = env_int("FETCH_STALE_AFTER_HOURS", 24)
FETCH_MAX_WAIT = env_int("FETCH_MAX_WAIT", 60)
FETCH_CONNECT_TIMEOUT = env_int("FETCH_CONNECT_TIMEOUT", 10)
FETCH_READ_TIMEOUT = env_int("FETCH_READ_TIMEOUT", 10)
FETCH_DEADLINE = env_int("FETCH_DEADLINE", 20)
FETCH_MAX_BYTES = env_int("FETCH_MAX_BYTES", 10 * 1024 * 1024)
FETCH_RETRIES = env_int("FETCH_RETRIES", 3)
FETCH_RETRY_BACKOFF_MS = env_int("FETCH_RETRY_BACKOFF_MS", 500)
# Connection-level failures in a row (DNS, refused, reset, TLS, connect timeout) that stop a host.
FETCH_UNREACHABLE_AFTER = env_int("FETCH_UNREACHABLE_AFTER", 3)
FETCH_COMPUTING_DELAY_MS = env_int("FETCH_COMPUTING_DELAY_MS", 1000)
FETCH_MAX_PAGES = env_int("FETCH_MAX_PAGES", 20)
FETCH_LEASE_SECONDS = env_int("FETCH_LEASE_SECONDS", 600)
FETCH_MAX_FAILURES = env_int("FETCH_MAX_FAILURES", 5)
# /metrics (Prometheus text format, api/metrics.py): off unless METRICS_ENABLED; with a
# METRICS_TOKEN a scrape must send "Authorization: Bearer <token>".
METRICS_ENABLED = env_bool("METRICS_ENABLED", False)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# GET /api/v4/status/ is computed at most once per this many seconds per cache (0: every time).
STATUS_CACHE_SECONDS = env_int("STATUS_CACHE_SECONDS", 5)
FETCH_FAILURE_BACKOFF_HOURS = env_int("FETCH_FAILURE_BACKOFF_HOURS", 168)
FETCH_USER_AGENT = os.environ.get(
    "FETCH_USER_AGENT", "djangopackages-fetcher/1.0 (+https://djangopackages.org)"
)

# Background tasks (Django's Tasks API, the django-tasks backport): refreshes queued by the admin,
# `fetch_stats --enqueue` and webhooks. "database" keeps the queue in our own database (worker:
# `manage.py db_worker`); "rq" puts it in Redis for workers on several machines (worker:
# `manage.py rqworker --job-class django_tasks_rq.Job`); "immediate" runs each task at once.
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database").strip().lower() or "database"
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}, not {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    TASKS_REDIS_URL = os.environ.get("TASKS_REDIS_URL", "").strip() or REDIS_URL
    if not TASKS_REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=rq needs REDIS_URL (or TASKS_REDIS_URL).")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": TASKS_REDIS_URL}}
# Packages one refresh task fetches at most: larger selections are split, so several workers
# share them.
FETCH_TASK_BATCH_SIZE = env_int("FETCH_TASK_BATCH_SIZE", 50)
# Liveness (packages/heartbeats.py): task workers and running refreshes beat every
# TASK_HEARTBEAT_SECONDS; one silent for TASK_LOST_AFTER_SECONDS is dead, and its refreshes are
# recorded failed and queued again at most TASK_MAX_RETRIES times (docs/tasks.md).
TASK_HEARTBEAT_SECONDS = env_int("TASK_HEARTBEAT_SECONDS", 10)
TASK_LOST_AFTER_SECONDS = env_int("TASK_LOST_AFTER_SECONDS", 60)
TASK_MAX_RETRIES = env_int("TASK_MAX_RETRIES", 1)
if TASK_HEARTBEAT_SECONDS < 1 or TASK_LOST_AFTER_SECONDS < 2 * TASK_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured(
        "TASK_HEARTBEAT_SECONDS must be at least 1, and TASK_LOST_AFTER_SECONDS at least twice it."
    )

# Forge webhooks (api/webhooks.py): each endpoint is 404 until its secret is set. A package is
# queued for a refresh at most once per FETCH_WEBHOOK_MIN_INTERVAL seconds by webhooks.
GITHUB_WEBHOOK_SECRET = os.environ.get("GITHUB_WEBHOOK_SECRET", "")
GITLAB_WEBHOOK_SECRET = os.environ.get("GITLAB_WEBHOOK_SECRET", "")
FORGEJO_WEBHOOK_SECRET = os.environ.get("FORGEJO_WEBHOOK_SECRET", "")
FETCH_WEBHOOK_MIN_INTERVAL = env_int("FETCH_WEBHOOK_MIN_INTERVAL", 600)

# PyPI downloads (packages/fetch/pypistats.py, docs/pypistats.md): last month's count from
# pypistats.org, fetched by a pass of its own (`fetch_stats --source downloads`), each package at
# most once per PYPISTATS_STALE_AFTER_HOURS; an empty URL turns the source off.
PYPISTATS_URL = os.environ.get("PYPISTATS_URL", "https://pypistats.org/api").strip()
PYPISTATS_REQUESTS_PER_SECOND = env_int("PYPISTATS_REQUESTS_PER_SECOND", 2)
PYPISTATS_STALE_AFTER_HOURS = env_int("PYPISTATS_STALE_AFTER_HOURS", 24)
