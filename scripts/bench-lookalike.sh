#!/usr/bin/env bash
# Times lookalike generation against Debian's dnstwist on the same domains, word list and
# TLD list (internal/lookalike/testdata), nothing resolved:
#   1. the commands, as a person runs them: `dnstwist --format list` once per domain, and
#      `renkei lookalikes --format list` once for all of them;
#   2. the generators alone, inside one process each: dnstwist's Fuzzer in its Python, and
#      BenchmarkGenerateList in Go (CPU time, so that other jobs on the machine count less).
# Prints the times, the candidate counts and the ratios. Needs dnstwist (apt-get install -y
# dnstwist).
set -euo pipefail
cd "$(dirname "$0")/.."

data=internal/lookalike/testdata
mapfile -t domains < <(grep -v '^#' "$data/domains.txt" | grep -v '^$')
command -v dnstwist >/dev/null || { echo "dnstwist is not installed (apt-get install -y dnstwist)" >&2; exit 1; }
python=$(head -n1 "$(command -v dnstwist)" | sed 's/^#!//; s/ .*//')

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/renkei" ./cmd/renkei

now() { date +%s.%N; }
minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", a - b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }

start=$(now)
for d in "${domains[@]}"; do
	dnstwist --format list -d "$data/words.txt" --tld "$data/tlds.txt" "$d"
done >"$tmp/dnstwist.txt"
dnstwist_cmd=$(minus "$(now)" "$start")

start=$(now)
"$tmp/renkei" lookalikes --format list --dictionary "$data/words.txt" --tlds "$data/tlds.txt" "${domains[@]}" >"$tmp/renkei.txt"
renkei_cmd=$(minus "$(now)" "$start")

dnstwist_gen=$("$python" - "$data/words.txt" "$data/tlds.txt" "${domains[@]}" <<'PY'
import sys, time, dnstwist
words = [w for w in open(sys.argv[1]).read().split() if w.isalnum()]
tlds = open(sys.argv[2]).read().split()
best = None
for _ in range(3):
    t = time.process_time()
    for d in sys.argv[3:]:
        dnstwist.Fuzzer(d, dictionary=words, tld_dictionary=tlds).generate()
    el = time.process_time() - t
    best = el if best is None else min(best, el)
print("%.4f" % best)
PY
)
renkei_gen=$(go test ./internal/lookalike -run '^$' -bench 'GenerateList$' -benchtime 20x -count 3 |
	awk '/cpu-ms\/op/ { for (i = 1; i < NF; i++) if ($(i+1) == "cpu-ms/op") v = $i; if (best == "" || v < best) best = v } END { printf "%.4f", best / 1000 }')

printf 'domains:                       %d (%s)\n' "${#domains[@]}" "$data/domains.txt"
printf 'candidates:                    dnstwist %d (input lines included), renkei %d\n' "$(wc -l <"$tmp/dnstwist.txt")" "$(wc -l <"$tmp/renkei.txt")"
printf 'commands, wall clock:          dnstwist %.3f s, renkei %.3f s, ratio %sx\n' "$dnstwist_cmd" "$renkei_cmd" "$(ratio "$dnstwist_cmd" "$renkei_cmd")"
printf 'generators, CPU time:          dnstwist %.3f s, renkei %.3f s, ratio %sx\n' "$dnstwist_gen" "$renkei_gen" "$(ratio "$dnstwist_gen" "$renkei_gen")"
