#!/usr/bin/env bash
# Runs the whole test suite the way CI does: both database backends and the browser tests.
# It starts what the tests need when it is missing (PostgreSQL, Chromium, CJK fonts,
# dnstwist) and makes the PostgreSQL, browser and dnstwist tests fail rather than skip if
# they cannot run.
#
# Settings (environment):
#   RENKEI_TEST_POSTGRES  PostgreSQL server URL (default postgres://postgres@127.0.0.1:5432/postgres)
#   GOTESTFLAGS           extra flags for go test (e.g. "-run TestLeak -v")
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_postgres() {
	if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return; fi
	if ! ls /etc/postgresql >/dev/null 2>&1; then
		log "PostgreSQL is not installed; installing it"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	fi
	log "starting PostgreSQL"
	as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
	for _ in $(seq 1 30); do
		pg_isready -q -h 127.0.0.1 -p 5432 && return
		sleep 1
	done
	log "PostgreSQL did not come up on 127.0.0.1:5432"
	exit 1
}

ensure_browser() {
	local missing=()
	[ -x "${RENKEI_TEST_CHROME:-/usr/bin/chromium}" ] || missing+=(chromium)
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing ${missing[*]}"
		as_root apt-get update -qq
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
}

# dnstwist: the lookalike generator's tests compare its candidates with Debian's dnstwist.
ensure_dnstwist() {
	command -v dnstwist >/dev/null 2>&1 && return
	log "installing dnstwist"
	as_root apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnstwist >/dev/null
}

ensure_postgres
ensure_browser
ensure_dnstwist

export RENKEI_TEST_POSTGRES="${RENKEI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
export RENKEI_TEST_REQUIRE_POSTGRES=1
export RENKEI_TEST_REQUIRE_BROWSER=1
export RENKEI_TEST_REQUIRE_DNSTWIST=1

log "go test ./... (SQLite and PostgreSQL, browser tests in Chromium)"
# shellcheck disable=SC2086
go test -count=1 -timeout 30m ${GOTESTFLAGS:-} ./...
