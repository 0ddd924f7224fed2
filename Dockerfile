# Production image: gunicorn serving djangopackages, static files via whitenoise (README,
# "Docker, with workers"; `make image-test` builds it and runs README's container flows).
# Migrations are a release step: `docker run --rm --env-file prod.env IMAGE python manage.py migrate`.
# The task worker is the same image with another command (run one or more; docs/tasks.md):
#   docker run --env-file prod.env IMAGE python manage.py db_worker
# For TASKS_BACKEND=rq (the image includes django-tasks-rq) run the RQ worker instead:
#   docker run --env-file prod.env IMAGE python manage.py rqworker default --job-class django_tasks_rq.Job
# requirements.lock holds for every supported Python (3.11.0 and up), so any 3.11+ slim base works.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGOPACKAGES_DOTENV=0 \
    PORT=8000 \
    WEB_CONCURRENCY=3

WORKDIR /app
RUN useradd --create-home --uid 10001 app

# Dependencies first, so a source change does not reinstall them: exactly the pinned, hashed
# lock (nothing resolved afresh), then proven complete.
COPY requirements.lock ./
RUN pip install --no-deps --require-hashes -r requirements.lock && pip check

# The service runs from its source tree (/app), as `make run` does: nothing to build or install.
COPY . .
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput

# /data: a volume mount point the app user may write (the local SQLite try-out in README).
RUN mkdir /data && chown app /data

USER app
EXPOSE 8000
# Web: /healthz answers 200. Worker (`db_worker` or `rqworker` as the command): its heartbeat is
# recent (djangopackages/healthcheck.py tells which from the container's command).
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 \
    CMD ["python", "-m", "djangopackages.healthcheck"]

# gunicorn binds 0.0.0.0:$PORT, takes its worker count from WEB_CONCURRENCY and the rest from
# /app/gunicorn.conf.py (no forwarded header trusted by gunicorn; request-line/header limits).
CMD ["gunicorn", "djangopackages.wsgi", "--access-logfile", "-"]
