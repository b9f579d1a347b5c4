#!/usr/bin/env bash
# make bench: diaryd's checker against a naive baseline (recurring_ical_events
# + pairwise scan) on a 10,000-event diary for 2026.  Run from the repo root.
# Prints a Markdown report and writes it to tests/bench/out/results.md; exits 1
# if the two sides disagree on the number of conflict pairs.
set -euo pipefail

PY=/usr/bin/python3
BENCH=tests/bench
OUT=$BENCH/out
FROM=2026-01-01
TO=2027-01-01

for tool in build/bench-check build/diaryd; do
  if [[ ! -x $tool ]]; then
    echo "run.sh: $tool is missing; run 'make bench', which builds it and runs this script" >&2
    exit 1
  fi
done

mkdir -p "$OUT"
: > "$OUT/results.md"
status_all=0

# One mix: generate its diary, measure both sides, append the report.
run_mix() {
local MIX=$1 EDITS=$2
local DIARY=$OUT/diary-10000-$MIX.ics
if [[ ! -f $DIARY ]]; then
  echo "generating $DIARY" >&2
  "$PY" "$BENCH/gen_diary.py" --events 10000 --seed 1 --mix "$MIX" "$DIARY"
fi

local BENCH_CMD=(build/bench-check "$DIARY" --edits "$EDITS")
local NAIVE_CMD=("$PY" "$BENCH/naive_check.py" "$DIARY" --from "$FROM" --to "$TO")
local CHECK_CMD=(build/diaryd check --json --from "$FROM" --to "$TO" --tz Europe/London "$DIARY")

for i in 1 2 3; do
  echo "diaryd: ${BENCH_CMD[*]} (run $i of 3)" >&2
  "${BENCH_CMD[@]}" > "$OUT/bench-check.$i.json"
done

echo "diaryd: ${CHECK_CMD[*]} under /usr/bin/time -v" >&2
local status=0
/usr/bin/time -v -o "$OUT/diaryd-check.time" "${CHECK_CMD[@]}" > "$OUT/diaryd-check.json" || status=$?
if (( status > 1 )); then  # 1 means findings
  echo "run.sh: diaryd check failed with exit code $status" >&2
  exit 1
fi

echo "naive: ${NAIVE_CMD[*]} (slow)" >&2
"${NAIVE_CMD[@]}" > "$OUT/naive.json"

"$PY" - "$OUT" "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$(nproc) CPUs, $(uname -m)" \
  "${BENCH_CMD[*]}" "${CHECK_CMD[*]}" "${NAIVE_CMD[*]}" "$MIX" <<'EOF' || status_all=1
import json, re, statistics, sys

out, date, machine, bench_cmd, check_cmd, naive_cmd, mix = sys.argv[1:]
runs = [json.load(open(f"{out}/bench-check.{i}.json")) for i in (1, 2, 3)]
d = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
n = json.load(open(f"{out}/naive.json"))
timing = open(f"{out}/diaryd-check.time").read()
check_rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1))
clock = re.search(r"Elapsed \(wall clock\) time.*: ([\d:.]+)", timing).group(1)
check_wall = sum(float(part) * 60 ** i for i, part in enumerate(reversed(clock.split(":"))))

def ms(x):
    return f"{x:.1f} ms" if x < 1000 else f"{x / 1000:.2f} s"

def mb(kb):
    return f"{kb / 1024:.1f} MB"

def ratio(naive, ours):
    return f"{naive / ours:,.0f}x" if ours > 0 else "-"

d_expand = d["parse_cpu_ms"] + d["expand_cpu_ms"]
n_expand, n_scan, n_total = (n[k] * 1000 for k in ("expand_cpu_s", "scan_cpu_s", "total_cpu_s"))
def same(key):
    return "same" if d[key] == n[key] else "DIFFERENT"

rows = [
    ("events", d["events"], n["events"], same("events")),
    ("occurrences in 2026", d["occurrences"], n["occurrences"], same("occurrences")),
    ("conflict pairs", d["conflicts"], n["conflicts"], same("conflicts")),
    ("parse CPU", ms(d["parse_cpu_ms"]), ms(n["parse_cpu_s"] * 1000), ratio(n["parse_cpu_s"] * 1000, d["parse_cpu_ms"])),
    ("expand CPU", ms(d["expand_cpu_ms"]), ms(n_expand - n["parse_cpu_s"] * 1000),
     ratio(n_expand - n["parse_cpu_s"] * 1000, d["expand_cpu_ms"])),
    ("check CPU (diaryd: 8 rules + suggestions; naive: overlaps only)", ms(d["check_cpu_ms"]), ms(n_scan),
     ratio(n_scan, d["check_cpu_ms"])),
    ("expand + check CPU", ms(d["expand_cpu_ms"] + d["check_cpu_ms"]), ms(n_expand - n["parse_cpu_s"] * 1000 + n_scan),
     ratio(n_expand - n["parse_cpu_s"] * 1000 + n_scan, d["expand_cpu_ms"] + d["check_cpu_ms"])),
    ("total CPU", ms(d["total_cpu_ms"]), ms(n_total), ratio(n_total, d["total_cpu_ms"])),
    ("re-check after one change", f"{d['incremental_us']:.0f} us", ms(n_total) + " (full re-run)",
     ratio(n_total * 1000, d["incremental_us"])),
    ("peak RSS (bench harness)", mb(d["peak_rss_kb"]), mb(n["peak_rss_kb"]), ratio(n["peak_rss_kb"], d["peak_rss_kb"])),
    ("diaryd check (whole command) peak RSS", mb(check_rss), "-", ""),
    ("diaryd check (whole command) wall clock", f"{check_wall:.2f} s", "-", ""),
]
check_only = d["expand_cpu_ms"] + d["check_cpu_ms"]
targets = [
    (f"expand+check CPU < 100 ms ({ms(check_only)})", check_only < 100),
    (f"expand+check CPU ratio >= 100x ({ratio(n_expand - n['parse_cpu_s'] * 1000 + n_scan, check_only)})",
     check_only > 0 and (n_expand - n["parse_cpu_s"] * 1000 + n_scan) / check_only >= 100),
    (f"total CPU ratio, parsing included, >= 100x ({ratio(n_total, d['total_cpu_ms'])})",
     d["total_cpu_ms"] > 0 and n_total / d["total_cpu_ms"] >= 100),
    (f"re-check after one change < 1000 us ({d['incremental_us']:.0f} us)", d["incremental_us"] < 1000),
    (f"peak RSS of diaryd check < 50 MB ({mb(check_rss)})", check_rss < 50 * 1024),
]

lines = [
    f"## {mix} mix", "",
    f"- date: {date}",
    f"- machine: {machine}",
    f"- diaryd: `{bench_cmd}` (median of 3 runs)",
    f"- diaryd check: `/usr/bin/time -v {check_cmd}`",
    f"- naive: `{naive_cmd}`", "",
    "| figure | diaryd | naive (recurring_ical_events + pairwise) | ratio |",
    "|---|---:|---:|---:|",
]
lines += [f"| {name} | {ours} | {naive} | {r} |" for name, ours, naive, r in rows]
if mix == "realistic":  # the targets are set for a real diary, not the stress case
    lines += ["", "Targets:", ""]
    lines += [f"- {'PASS' if ok else 'FAIL'}: {text}" for text, ok in targets]
mismatch = d["conflicts"] != n["conflicts"]
if mismatch:
    lines += ["", f"WARNING: CONFLICT PAIRS DIFFER: diaryd {d['conflicts']}, naive {n['conflicts']}"]
report = "\n".join(lines) + "\n\n"
open(f"{out}/results.md", "a").write(report)
print(report, end="")
if mismatch:
    print(lines[-1], file=sys.stderr)
    sys.exit(1)
EOF
}

run_mix realistic 500
run_mix dense 50  # every edit there re-checks days with hundreds of clashes

# CalDAV sync: diaryd sync against vdirsyncer and raw requests (tests/bench/out/sync.txt)
"$BENCH/sync_bench.sh" || status_all=1
# The agent: idle RSS, wake-ups, reminder delay (tests/bench/out/agent.md)
"$BENCH/agent_bench.sh" || status_all=1
exit $status_all
