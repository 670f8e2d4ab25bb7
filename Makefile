# PromptDev — build, run and test without cargo-leptos (see README).
#   make run   [db=sqlite|postgres] [llm=local|openai]   set up, build a release, start on :8001
#   make test  [db=…] [llm=…]                            set up, every Rust test on SQLite and PostgreSQL, then Playwright
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run

db  ?= sqlite
llm ?= local
PORT ?= 8001

SITE := target/site
PKG  := $(SITE)/pkg
TOOLS := .tools
WASM_OPT := $(TOOLS)/node_modules/.bin/wasm-opt
BINARYEN_VERSION := 123.0.0
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
MODEL := models/SmolLM2-135M-Instruct.Q4_1.gguf
SERVER_BIN := target/release/promptdev
PG_URL ?= postgres://postgres@127.0.0.1:5432

ifeq ($(db),postgres)
  DATABASE_URL ?= $(PG_URL)/promptdev
else
  DATABASE_URL ?= sqlite://data/promptdev.db
endif
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: run test setup setup-apt setup-rust setup-wasm-bindgen setup-wasm-opt setup-python setup-e2e model build build-wasm build-server \
        test-rust e2e pg-start db-create admin-create fmt clippy lint bench clean

## ---- set-up (each step skips what is already there) ----
setup: setup-apt setup-rust setup-wasm-bindgen setup-wasm-opt model

setup-apt:
	@need=(); command -v cmake >/dev/null || need+=(cmake); \
	 dpkg -s libclang-dev >/dev/null 2>&1 || need+=(libclang-dev); \
	 command -v pkg-config >/dev/null || need+=(pkg-config); \
	 command -v npm >/dev/null || need+=(nodejs npm); \
	 python3 -m pip --version >/dev/null 2>&1 || need+=(python3 python3-pip); \
	 python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need+=(python3-venv); \
	 if [ $${#need[@]} -gt 0 ]; then echo "apt: installing $${need[*]}"; apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$${need[@]}"; fi

setup-rust:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

setup-wasm-bindgen:
	@if [ "$$(wasm-bindgen --version 2>/dev/null | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
	   echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (matches Cargo.lock; ~3 min)"; \
	   cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); fi

# The official `openai` Python package, for the test of the OpenAI-compatible API, and
# Schemathesis, which checks the server against its OpenAPI document.
PYTHON_VENV := $(TOOLS)/venv
OPENAI_PY_VERSION := 3.60.0
SCHEMATHESIS_VERSION := 4.32.5
setup-python: setup-apt
	@$(PYTHON_VENV)/bin/python -c 'import sys, importlib.metadata as m; sys.exit(m.version("openai") != "$(OPENAI_PY_VERSION)" or m.version("schemathesis") != "$(SCHEMATHESIS_VERSION)")' 2>/dev/null || { \
	   python3 -m venv $(PYTHON_VENV) && $(PYTHON_VENV)/bin/pip install -q 'openai==$(OPENAI_PY_VERSION)' 'schemathesis==$(SCHEMATHESIS_VERSION)'; }

setup-wasm-opt:
	@[ -x $(WASM_OPT) ] || npm install --silent --no-audit --no-fund --prefix $(TOOLS) binaryen@$(BINARYEN_VERSION)

model:
	@scripts/fetch-model.sh models

## ---- build ----
build: setup build-wasm build-server

build-wasm:
	cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release
	@mkdir -p $(PKG)
	wasm-bindgen --target web --no-typescript --out-dir $(PKG) --out-name promptdev target/wasm32-unknown-unknown/wasm-release/frontend.wasm
	$(WASM_OPT) -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals $(PKG)/promptdev_bg.wasm -o $(PKG)/promptdev_bg.wasm
	cp style/main.css $(PKG)/promptdev.css
	cp -r public/. $(SITE)/

build-server:
	cargo build -p server --release

## ---- run ----
run: build $(if $(filter postgres,$(db)),db-create)
	@if [ "$(llm)" = openai ] && [ -z "$${OPENAI_BASE_URL:-}" ]; then echo "llm=openai needs OPENAI_BASE_URL (and OPENAI_MODEL, OPENAI_API_KEY)"; exit 2; fi
	DATABASE_URL='$(DATABASE_URL)' PROMPTDEV_LLM=$(llm) PROMPTDEV_ADDR=$${PROMPTDEV_ADDR:-127.0.0.1:$(PORT)} \
	  LEPTOS_SITE_ROOT=$(SITE) $(SERVER_BIN) serve

admin-create: build-server
	@[ -n "$(email)" ] || { echo "usage: make admin-create email=you@example.com"; exit 2; }
	DATABASE_URL='$(DATABASE_URL)' $(SERVER_BIN) admin-create --email '$(email)'

## ---- databases ----
pg-start:
	@if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then \
	   if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; fi; \
	   pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start; \
	   for i in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; fi

db-create: pg-start
	@psql '$(PG_URL)/postgres' -tAc "SELECT 1 FROM pg_database WHERE datname='promptdev'" | grep -q 1 || psql '$(PG_URL)/postgres' -qc 'CREATE DATABASE promptdev'

## ---- tests ----
# Every Rust test: unit tests and the integration suite, each integration test on SQLite
# and PostgreSQL, plus the real embedded model. Release profile, so it reuses `make build`.
test: setup setup-e2e pg-start test-rust build e2e

test-rust: pg-start model setup-python
	cargo test --release -p app -p server --features app/ssr

setup-e2e:
	@command -v chromium >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@cd end2end && { [ -d node_modules/@playwright/test ] || PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund; }

e2e:
	cd end2end && npx playwright test

## ---- quality ----
fmt:
	cargo fmt --all -- --check

clippy:
	# --release: shares the llama.cpp build with `make build` (another profile would compile it again).
	cargo clippy --release -p app -p server --features app/ssr --all-targets -- -D warnings
	cargo clippy -p frontend -p app --features app/hydrate --target wasm32-unknown-unknown -- -D warnings

lint: setup-apt setup-rust fmt clippy

# Time to first reply and tokens/s of the embedded model, through the real server over HTTP.
# Then the live preview's latency (it runs on every pause in typing), the wall at 100,000
# users, and the Overview / monitor list / request log on a seeded workspace.
bench: model
	cargo run --release -p server --example chat_bench -- $${TURNS:-30} $${CHATS:-4}
	cargo run --release -p server --example preview_bench -- $${REQUESTS:-500}
	cargo run --release -p server --example wall_bench -- $${USERS:-100000} $${WALL_REQUESTS:-20}
	cargo run --release -p server --example overview_bench -- $${MESSAGES:-500000} $${OVERVIEW_REQUESTS:-20}

clean:
	cargo clean; rm -rf $(TOOLS)
