# The README's two commands: `make run` and `make test`. Also: `make bench`, `make lint`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench lint translations install test-install system-packages messages

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

test-install: $(VENV)/.test-installed

# Compiled catalogues are build output: made from the .po files on every run.
translations: install
	@$(BIN)/pybabel compile -f -d portal/translations >/dev/null

# Re-extract the strings and merge them into the catalogues (for translators).
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -o portal/translations/messages.pot .
	$(BIN)/pybabel update -N -i portal/translations/messages.pot -d portal/translations

run: translations
	@PORTAL_DEBUG=1 $(FLASK) db upgrade
	@PORTAL_DEBUG=1 $(FLASK) demo load
	@echo "Serving on http://$(HOST):$(PORT) (Ctrl+C stops it; jobs run every minute meanwhile)"
	@trap 'kill 0' EXIT INT TERM; \
	  PORTAL_DEBUG=1 $(FLASK) jobs loop --every 60 & \
	  PORTAL_DEBUG=1 $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

system-packages:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	command -v zbarimg >/dev/null || missing="$$missing zbar-tools"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "The tests need Debian packages. Run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi

test: test-install system-packages translations
	@$(BIN)/pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; exit $$rc

lint: test-install
	$(BIN)/ruff check .

bench: test-install translations
	$(BIN)/python -m bench $(BENCH_ARGS)
