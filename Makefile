# Xuncha: `make run` serves the demo county, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# make run-lan: the HTTPS port on the LAN address, the plain-HTTP port of the certificate download, their files
LAN_PORT ?= 8443
LAN_CA_PORT ?= 8080
LAN_DIR := instance/lan-ca
# Test processes per database (pytest-xdist; whole files per process). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 3
export FLASK_APP := wsgi

.PHONY: run run-lan test test-sqlite test-postgres install install-dev translations vendor wire-fields serve seed bench lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime-installed translations
install-dev: $(VENV)/.dev-installed translations

translations: | $(VENV)/.runtime-installed
	@$(BIN)/pybabel -q compile -d app/translations

## run: create the virtualenv, migrate, seed the demo county if empty, serve on 127.0.0.1:$(PORT) with the job scheduler;
## the address and the demo logins are printed once the server answers
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	@# One scheduler process beside the web workers (the jobs' database lease keeps it to one anyway),
	@# and one task worker (photo derivatives; decision 0014).
	$(BIN)/flask scheduler & scheduler=$$!; \
	$(BIN)/flask worker & worker=$$!; \
	$(BIN)/flask wait-ready http://127.0.0.1:$(PORT)/healthz --open http://127.0.0.1:$(PORT)/login & ready=$$!; \
	trap 'kill $$scheduler $$worker $$ready 2>/dev/null' EXIT; \
	$(BIN)/gunicorn -c gunicorn.conf.py --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 wsgi:app

## run-lan: as run, over HTTPS on this machine's LAN address (LAN_IP to choose it) for a real phone: a local
## certificate authority in $(LAN_DIR) (made once, git-ignored), its certificate over plain HTTP on $(LAN_CA_PORT),
## a QR code to open https://<LAN address>:$(LAN_PORT)/app/ (README.md, "On a real phone"; decision 0015)
run-lan: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	ip=$$($(BIN)/flask lan cert --folder $(LAN_DIR) --quiet) || exit 1; \
	binds="--bind $$ip:$(LAN_PORT)"; \
	case "$$ip" in 127.0.0.1) ;; *) binds="$$binds --bind 127.0.0.1:$(LAN_PORT)";; esac; \
	$(BIN)/flask scheduler & scheduler=$$!; \
	$(BIN)/flask worker & worker=$$!; \
	$(BIN)/flask lan ca-server --folder $(LAN_DIR) --ip $$ip --port $(LAN_CA_PORT) --https-port $(LAN_PORT) & ca=$$!; \
	$(BIN)/flask lan ready --folder $(LAN_DIR) --ip $$ip --port $(LAN_PORT) --ca-port $(LAN_CA_PORT) & ready=$$!; \
	trap 'kill $$scheduler $$worker $$ca $$ready 2>/dev/null' EXIT; \
	$(BIN)/gunicorn -c gunicorn.conf.py $$binds --certfile $(LAN_DIR)/server.crt --keyfile $(LAN_DIR)/server.key \
	  --workers 2 --threads 4 wsgi:app

## test: the whole suite on SQLite, then on PostgreSQL when TEST_DATABASE_URL is set
test: install-dev
	$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "TEST_DATABASE_URL is not set: the PostgreSQL run was not done (CI sets it)."; fi

test-sqlite:
	@echo "== tests on SQLite =="
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)
	@# The photo tests again with the S3 backend: once, on PostgreSQL when there is one (test-postgres).
	@if [ -z "$$TEST_DATABASE_URL" ]; then \
	  echo "== photo tests on SQLite with MEDIA_BACKEND=s3 (moto's S3 server, started by the tests) =="; \
	  MEDIA_BACKEND=s3 $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder tests/photos; \
	else echo "(the photo tests with MEDIA_BACKEND=s3 run once, in the PostgreSQL run)"; fi

test-postgres:
	@echo "== tests on PostgreSQL ($$TEST_DATABASE_URL) =="
	@# own_database: the tests that make their own SQLite databases whatever the run's is (the README's
	@# commands, the standalone clone) ran in test-sqlite; here they would only repeat the same thing.
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder -m "not own_database" $(PYTEST_ARGS)
	@echo "== photo tests on PostgreSQL with MEDIA_BACKEND=s3 =="
	MEDIA_BACKEND=s3 $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder tests/photos

## vendor: refresh static/pwa/vendor/ from the npm registry (pinned in package.json / package-lock.json)
vendor: | $(VENV)/.runtime-installed
	npm ci --ignore-scripts --no-audit --no-fund
	$(BIN)/python scripts/vendor.py

# The PWA's sync field lists, from app/schemas/sync.py (tests/api/test_wire_fields.py fails while stale).
wire-fields: | $(VENV)/.runtime-installed
	$(BIN)/python -m app.schemas.pwa

## bench: every benchmark under bench/ (not part of test), one table in bench/RESULTS.md; BENCH_QUICK=1 for small
## sizes. PostgreSQL runs use BENCH_PG_URL (default postgresql://postgres@127.0.0.1:5432/xc_bench; its schema is replaced).
bench: install-dev
	$(BIN)/python bench/run_all.py

lint: install-dev
	$(BIN)/ruff check app sync tests bench scripts

clean:
	rm -rf $(VENV) .pytest_cache
