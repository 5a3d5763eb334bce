# Runs the installed dnstwist (its own run() entry point, as the command line does, with
# --format list so that nothing is resolved) once per domain and fuzzer, and prints
# {domain: {fuzzer: [names]}} as JSON. Usage: run_dnstwist.py DICT_FILE TLD_FILE FUZZERS DOMAIN...
import contextlib, io, json, sys
import dnstwist

dict_file, tld_file, fuzzers, domains = sys.argv[1], sys.argv[2], sys.argv[3].split(","), sys.argv[4:]
out = {}
for domain in domains:
    out[domain] = {}
    for fuzzer in fuzzers:
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                rows = dnstwist.run(domain=domain, fuzzers=fuzzer, format="list",
                                    dictionary=dict_file, tld=tld_file)
        except Exception as e:
            if "do not generate any permutations" not in str(e):
                raise
            rows = []
        out[domain][fuzzer] = sorted(r["domain"] for r in rows or [] if r["fuzzer"] == fuzzer)
json.dump(out, sys.stdout)
