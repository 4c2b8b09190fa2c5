# Two commands for a fresh machine with Python 3.11+: `make run` and `make test`
# (`make serve`: the production processes on this machine).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app:create_app
PLUGIN_TRANSLATIONS := $(wildcard plugins/*/translations)

.PHONY: run test install system-packages translations lint format serve demo benchmark fuzz clean

run: install system-packages
	$(BIN)/flask db upgrade heads
	$(BIN)/flask demo load
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C stops)"
	@echo "Outgoing e-mails are written to instance/mail/*.eml"
	WINET_INPROCESS_SCHEDULER=1 MAIL_BACKEND=$${MAIL_BACKEND:-file} $(BIN)/flask run --host 127.0.0.1 --port 5000

# The production processes (Procfile: gunicorn, Celery worker and beat) on this machine,
# against the local PostgreSQL (database winet, created when missing) and Redis.
serve: install system-packages
	$(BIN)/python scripts/serve.py $(SERVE_ARGS)

test: install
	./scripts/system-packages.sh test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	TEST_DATABASE=sqlite $(BIN)/python -m pytest -p no:cacheprovider
	TEST_DATABASE=postgresql $(BIN)/python -m pytest -p no:cacheprovider

install: $(VENV)/.installed translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

system-packages:
	./scripts/system-packages.sh

translations: $(VENV)/.installed
	@for dir in app/translations $(PLUGIN_TRANSLATIONS); do \
		$(BIN)/pybabel -q compile -f -d $$dir || exit 1; done

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Schemathesis over the whole OpenAPI document; fails on any 5xx (FUZZ_EXAMPLES per
# operation and way, default 50: some 8'000 requests, several minutes).
fuzz: install
	$(BIN)/python -m scripts.fuzz

benchmark: install system-packages
	$(BIN)/python benchmarks/invoice_run.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
