# The two commands: `make run` (serve the demo catalogue, with a task worker) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WEB_CONCURRENCY ?= 2
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-fast image-test typecheck lint format admin migrate demo fetch worker shell lock clean

# A venv is reused only once an install into it has finished (the stamp). Anything else (an
# install that died half-way, a venv whose interpreter is gone) is removed and made again.
ifneq ($(wildcard $(STAMP)),)
ifneq ($(shell $(BIN)/python -c 'print("ok")' 2>/dev/null),ok)
$(shell rm -f $(STAMP))
endif
endif

# Exactly the locked set, whatever the index has published since: every pin with its hash and
# no dependency resolution (`--no-deps`), so the interpreter's own pip (23.0 and up) installs
# it; `pip check` then proves the set complete. `make lock` regenerates the lock.
$(STAMP): requirements-dev.lock
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	@echo "installing the locked dependencies into $(VENV)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
		-r requirements-dev.lock
	$(BIN)/python -m pip check --disable-pip-version-check
	@touch $@

install: $(STAMP)

# Local mode only: a generated development SECRET_KEY, kept out of git. Production sets its own.
.env:
	@printf 'SECRET_KEY=%s\nDEBUG=1\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "wrote .env with a development SECRET_KEY and DEBUG=1"

migrate: install .env
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo --if-empty

# The port `make run` serves on, remembered for `make admin` in another terminal.
RUN_PORT_FILE := $(VENV)/.run-port
ADMIN_PORT := $(if $(filter file,$(origin PORT)),$(or $(shell cat $(RUN_PORT_FILE) 2>/dev/null),$(PORT)),$(PORT))

run: demo
	@echo "$(PORT)" > $(RUN_PORT_FILE)
	@echo ""
	@echo "  Home:     http://127.0.0.1:$(PORT)/"
	@echo "  API root: http://127.0.0.1:$(PORT)/api/v4/"
	@echo "  Admin:    http://127.0.0.1:$(PORT)/admin/   (make admin prints a login)"
	@echo "  One task worker runs alongside (its lines start with 'worker |'); Ctrl-C stops both."
	@echo ""
	$(BIN)/python manage.py serve -- $(BIN)/gunicorn djangopackages.wsgi --bind 127.0.0.1:$(PORT) --workers $(WEB_CONCURRENCY) \
		--access-logfile -

admin: migrate
	$(BIN)/python manage.py dev_admin --port $(ADMIN_PORT)

# `make fetch ARGS="--all --workers 4"` passes options to fetch_stats.
fetch: migrate
	$(BIN)/python manage.py fetch_stats $(ARGS)

# The background-task worker on its own (`make run` starts one beside gunicorn already).
worker: migrate
	$(BIN)/python manage.py db_worker $(ARGS)

shell: migrate
	$(BIN)/python manage.py shell

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The production image, built and run as README's "Docker, with workers" section says (podman and
# buildah stand in for Docker where no engine runs; .ci/run sets them up when it can).
image-test: install
	IMAGE_TEST=1 $(BIN)/python -m pytest -p no:cacheprovider -v tests/image $(PYTEST_ARGS)

# The edit-test loop: SQLite, two processes, no browser.
test-fast: install
	env -u DATABASE_URL $(BIN)/python -m pytest -q -n 2 -m "not e2e" -p no:cacheprovider $(PYTEST_ARGS)

typecheck: install
	SECRET_KEY=typecheck-only DJANGOPACKAGES_DOTENV=0 $(BIN)/mypy

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# After changing dependencies in pyproject.toml: pin them again (needs the registry). One
# universal resolution for every supported Python and platform, markers kept (uv); the
# versions already locked are kept unless pyproject.toml needs others.
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--no-emit-index-url --extra rq
lock: install
	$(UV_COMPILE) -o requirements.lock pyproject.toml
	$(UV_COMPILE) --extra dev -o requirements-dev.lock pyproject.toml

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
