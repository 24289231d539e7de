# The commands the README names.  `make run` and `make test` set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DEBUG ?= 1

.PHONY: run serve test setup browser lint bench clean

run: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py import_pages fixtures/pages
	$(BIN)/python manage.py demo_accounts
	$(BIN)/python manage.py publish_release --wait --if-none --url http://127.0.0.1:8000 --verbosity 0
	# The worker runs the background jobs (uploads, large spreadsheets) beside the server, and stops with it.
	$(BIN)/python manage.py run_worker & worker=$$!; trap 'kill $$worker' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# As in production: the Procfile's processes (gunicorn.conf.py's web processes and a worker) under
# honcho; the web processes on 127.0.0.1:$(PORT) unless BIND says otherwise.
PORT ?= 8000
serve: setup
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input --verbosity 0
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start --port $(PORT)

test: setup browser lint
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

browser:
	scripts/install-browser.sh

bench: setup
	$(BIN)/python bench/bench_import.py

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles
