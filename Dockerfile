# Production image: gunicorn serving djangopackages, static files via whitenoise.
# Migrations are a release step: `docker run --rm --env-file prod.env IMAGE python manage.py migrate`.
# The task worker is the same image with another command (run one or more; docs/tasks.md):
#   docker run --env-file prod.env IMAGE python manage.py db_worker
# For TASKS_BACKEND=rq (the image includes django-tasks-rq) run the RQ worker instead:
#   docker run --env-file prod.env IMAGE python manage.py rqworker default --job-class django_tasks_rq.Job
# The Python version matches the one requirements.lock was resolved with.
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

# Dependencies first, so a source change does not reinstall them: the pinned, hashed lock.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .
RUN pip install --no-deps . \
    && SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput

# /data: a volume mount point the app user may write (the local SQLite try-out in README).
RUN mkdir /data && chown app /data

USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=6s --start-period=20s --retries=3 \
    CMD ["python", "-m", "djangopackages.healthcheck"]

# gunicorn binds 0.0.0.0:$PORT, takes its worker count from WEB_CONCURRENCY and the rest from
# /app/gunicorn.conf.py (no forwarded header trusted by gunicorn; request-line/header limits).
CMD ["gunicorn", "djangopackages.wsgi", "--access-logfile", "-"]
