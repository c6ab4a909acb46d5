# Two front-door commands: `make demo` and `make test`. Both install what is missing.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT_PACKAGES := espeak-ng ffmpeg gettext dosfstools mtools
STAMP := $(VENV)/.installed

.PHONY: demo test lint system-deps browser-deps venv clean

demo: system-deps venv
	$(BIN)/pipeline doctor
	$(BIN)/pipeline build
	@echo
	@echo "Episodes are in $(CURDIR)/output/ (one folder per episode, one per language)."

test: system-deps browser-deps venv lint
	$(BIN)/pytest

lint: venv
	$(BIN)/ruff check pipeline tests benchmarks
	$(BIN)/ruff format --check pipeline tests benchmarks
	$(BIN)/mypy

# Debian/Ubuntu packages: installed only when a command is missing (dosfstools and mtools: card images;
# libmpg123: the build's check decodes every file with it, ffmpeg's packages usually bring it).
system-deps:
	@missing=""; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	command -v ffmpeg >/dev/null || missing="$$missing ffmpeg"; \
	command -v ffprobe >/dev/null || missing="$$missing ffmpeg"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	command -v mkfs.fat >/dev/null || missing="$$missing dosfstools"; \
	command -v mcopy >/dev/null || missing="$$missing mtools"; \
	/sbin/ldconfig -p 2>/dev/null | grep -q 'libmpg123\.so\.0' || missing="$$missing libmpg123-0"; \
	$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || missing="$$missing python3-venv"; \
	$(INSTALL_MISSING)

# For the review page's browser test: Debian's chromium (no browser is ever downloaded) and a
# Hangul font, so that its screenshots show Korean.
browser-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list :lang=ko 2>/dev/null | grep -q . || missing="$$missing fonts-nanum"; \
	$(INSTALL_MISSING)

# Installs the packages a recipe listed in $$missing (as root, or through sudo).
define INSTALL_MISSING
if [ -n "$$missing" ]; then \
	  echo "Installing system packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi
endef

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,cluster]'
	touch $(STAMP)

# Outputs and caches: `pipeline clean` (it waits for no build: it refuses while one runs).
clean:
	@if [ -x $(BIN)/pipeline ]; then $(BIN)/pipeline clean; else rm -rf output .cache; fi
