#!/usr/bin/env bash
# Starts the release server for the end-to-end tests on a fresh database, with the
# operators whose logins the tests know, answering through the fake LLM.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/target/release/promptdev"
[ -x "$bin" ] || { echo "$bin is missing: run 'make build' first" >&2; exit 1; }
[ -f "$root/target/site/pkg/promptdev_bg.wasm" ] || { echo "the wasm bundle is missing: run 'make build-wasm'" >&2; exit 1; }
dir="$(mktemp -d)"
export DATABASE_URL="sqlite://$dir/e2e.db"
export PROMPTDEV_LLM=openai
export OPENAI_BASE_URL="http://127.0.0.1:${E2E_LLM_PORT}/v1"
export OPENAI_MODEL=fake-e2e
export PROMPTDEV_LLM_RETRIES=0
export PROMPTDEV_ADDR="127.0.0.1:${E2E_PORT}"
export LEPTOS_SITE_ROOT="$root/target/site"
export RUST_LOG="${RUST_LOG:-warn}"
printf '%s\n' "$E2E_PASSWORD" | "$bin" admin-create --super --email "$E2E_EMAIL" >/dev/null
# A second workspace that shares personas with the first one's library (pages.spec.ts).
printf '%s\n' "$E2E_PASSWORD" | "$bin" admin-create --email "sharer@e2e.test" >/dev/null
exec "$bin" serve
