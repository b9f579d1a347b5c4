#!/usr/bin/python3
"""Turns sync_bench.sh's measurements into a Markdown report.

usage: sync_report.py RESULTS.tsv FACTS.tsv OUT.txt key=value...

RESULTS.tsv: name, repetition, start, end (epoch seconds), peak RSS (KiB),
exit code, last line of stdout (for curl: code, bytes, time_total, connects,
HTTP version).  FACTS.tsv: key, value.  Prints the report, writes it to
OUT.txt, exits 1 if a run failed or a target was missed.
"""
import collections
import statistics
import sys

res_path, facts_path, out_path, *meta_args = sys.argv[1:]
meta = dict(arg.split("=", 1) for arg in meta_args)
facts = dict(line.rstrip("\n").split("\t", 1) for line in open(facts_path) if "\t" in line)

runs = collections.defaultdict(list)
for line in open(res_path):
    name, rep, t0, t1, rss, rc, note = (line.rstrip("\n").split("\t") + [""])[:7]
    runs[name].append({"wall": float(t1) - float(t0), "rss": int(rss or 0), "rc": int(rc), "note": note})

failures = []
for name, rs in runs.items():
    for r in rs:
        if r["rc"] != 0:
            failures.append(f"{name}: exit code {r['rc']}")
        if name.startswith("raw.") and r["note"][:1] in "45" and r["note"][:3].isdigit():
            failures.append(f"{name}: HTTP {r['note'].split()[0]}")


def ok_runs(name):
    return [r for r in runs.get(name, []) if r["rc"] == 0]


def wall(name):
    rs = ok_runs(name)
    return statistics.median(r["wall"] for r in rs) if rs else None


def rss(name):
    rs = ok_runs(name)
    return max(r["rss"] for r in rs) if rs else None


def curl_field(name, i, conv=float):
    rs = ok_runs(name)
    vals = []
    for r in rs:
        parts = r["note"].split()
        if len(parts) > i:
            vals.append(conv(parts[i]))
    return statistics.median(vals) if vals else None


def secs(x):
    if x is None:
        return "-"
    if x >= 10:
        return f"{x:.1f} s"
    if x >= 1:
        return f"{x:.2f} s"
    return f"{x * 1000:.0f} ms" if x >= 0.01 else f"{x * 1000:.1f} ms"


def mb(kb):
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


def size(b):
    if b is None:
        return "-"
    b = int(b)
    return f"{b / 1e6:.1f} MB" if b >= 1e6 else (f"{b / 1e3:.1f} kB" if b >= 1e3 else f"{b} B")


def spread(name):
    rs = ok_runs(name)
    if len(rs) < 2:
        return ""
    return f"{secs(min(r['wall'] for r in rs))}–{secs(max(r['wall'] for r in rs))}"


def reps(name):
    return str(len(runs.get(name, [])))


dd_ok = meta.get("diaryd") == "available"
n = meta.get("events", "?")
lines = [
    f"## CalDAV sync: diaryd, vdirsyncer and raw requests on one Radicale calendar of {n} events", "",
    f"- date: {meta.get('date')}",
    f"- machine: {meta.get('machine')}",
    f"- server: Radicale {meta.get('radicale')} (Debian package) on 127.0.0.1, multifilesystem storage in a "
    f"temp dir, htpasswd auth (plain), warm item cache (the very first request after seeding took "
    f"{facts.get('cold_first_request_s', '?')} s while Radicale parsed every item; done once, the warmed "
    f"storage is kept in tests/bench/out/)",
    f"- calendar: {facts.get('seed', '?')} (bytes are whole resources, VTIMEZONE included)",
    f"- peers: vdirsyncer {meta.get('vdirsyncer')} (caldav → filesystem vdir, collections = null), "
    f"curl {meta.get('curl')} (one process per request)",
    f"- diaryd: `{meta.get('diaryd_cmd')}`: {meta.get('diaryd')}",
    f"- figures are medians of the wall-clock time of the whole process (curl's own time_total shown as "
    f"server time); runs: {meta.get('reps')} of each curl request and diaryd no-op and one-change sync, run "
    f"in rounds side by side (one of each per round) so both see the same load; 3 of diaryd's initial sync "
    f"and of the whole-calendar requests; vdirsyncer: discover 1, sync {meta.get('vd_reps')} (actual counts "
    f"in the table); "
    f"PROPFIND Depth 1: {meta.get('slow_reps')}",
    f"- load average (1, 5, 15 min) at the start: {facts.get('load_at_start', '?')}, at the end: "
    f"{facts.get('load_at_end', '?')} (a shared machine: other jobs' load adds noise)",
    "",
]

# ---- targets ----
noop_candidates = [(wall(k), k) for k in ("raw.propfind0.ctag_token", "raw.propfind0.ctag", "raw.propfind0.token",
                                          "raw.sync.noop") if wall(k) is not None]
cheapest_noop, cheapest_noop_name = min(noop_candidates) if noop_candidates else (None, None)
raw_names = {"raw.propfind0.ctag_token": "PROPFIND Depth 0 {getctag, sync-token}",
             "raw.propfind0.ctag": "PROPFIND Depth 0 {getctag}",
             "raw.propfind0.token": "PROPFIND Depth 0 {sync-token}",
             "raw.sync.noop": "REPORT sync-collection with the current token"}
fetch_one = [(wall(k), k) for k in ("raw.multiget1", "raw.get1") if wall(k) is not None]
fetch_one, fetch_one_name = min(fetch_one) if fetch_one else (None, None)
change_raw = (wall("raw.sync.change") + fetch_one
              if wall("raw.sync.change") is not None and fetch_one is not None else None)

targets = []  # (figure, diaryd, peer, peer value, ratio text, target text, pass or None)


def target(figure, ours, peer, theirs, kind, limit, fmt=secs):
    if not dd_ok or ours is None or theirs is None or ours <= 0 or theirs <= 0:
        ratio, ok = None, None
    elif kind == "faster":  # peer / diaryd >= limit
        ratio = theirs / ours
        ok = ratio >= limit
    else:  # diaryd / peer <= limit
        ratio = ours / theirs
        ok = ratio <= limit
    if kind == "faster":
        rtext = "-" if ratio is None else f"{ratio:.1f}× faster"
        ttext = f"≥ {limit:g}× faster" if limit else "-"
    else:
        rtext = "-" if ratio is None else f"{ratio:.2f}×"
        ttext = f"≤ {limit:g}×"
    if not limit:
        ok = None
    ours_text = fmt(ours) if dd_ok else "not available yet"
    targets.append((figure, ours_text, peer, fmt(theirs), rtext, ttext, ok))


target("initial sync (wall)", wall("dd.initial"), "vdirsyncer sync (after discover)", wall("vd.initial"), "faster", 20)
target("no-op sync (wall)", wall("dd.noop"), "vdirsyncer sync", wall("vd.noop"), "faster", 30)
target("no-op sync (wall)", wall("dd.noop"),
       f"cheapest raw request: {raw_names.get(cheapest_noop_name, '-')}", cheapest_noop, "within", 1.3)
if cheapest_noop_name != "raw.sync.noop":
    target("no-op sync (wall)", wall("dd.noop"), "raw: REPORT sync-collection with the current token",
           wall("raw.sync.noop"), "within", 0)
target("sync after one server-side change (wall)", wall("dd.change"),
       "raw: sync-collection REPORT with the old token + "
       + ("calendar-multiget" if fetch_one_name == "raw.multiget1" else "GET") + " of the 1 href",
       change_raw, "within", 1.3)
if wall("raw.propfind0.ctag") is not None and change_raw is not None:
    target("sync after one server-side change (wall)", wall("dd.change"),
           "raw, ctag first: PROPFIND {getctag} + the two requests above", wall("raw.propfind0.ctag") + change_raw,
           "within", 0)
target("sync after one server-side change (wall)", wall("dd.change"), "vdirsyncer sync", wall("vd.change"), "faster", 0)
target("initial sync (wall)", wall("dd.initial"), "raw: REPORT sync-collection without a token, with calendar-data",
       wall("raw.sync.notoken.data"), "within", 0)
target("initial sync (wall)", wall("dd.initial"), "raw: calendar-query with calendar-data (no token)",
       wall("raw.cquery.data"), "within", 0)
target("peak RSS, initial sync", rss("dd.initial"), "vdirsyncer initial sync", rss("vd.initial"), "within", 0.25, mb)
target("peak RSS, no-op sync", rss("dd.noop"), "vdirsyncer no-op sync", rss("vd.noop"), "within", 0, mb)

lines += ["### Targets", "",
          "| measurement | diaryd | peer | peer figure | ratio | target | result |",
          "|---|---:|---|---:|---:|---|---|"]
missed = []
for figure, ours, peer, theirs, rtext, ttext, ok in targets:
    result = "n/a" if ok is None else ("PASS" if ok else "FAIL")
    if ttext == "-" or ttext.startswith("≤ 0×"):
        result, ttext = "", "-"
    if ok is False and ttext != "-":
        missed.append(f"{figure} vs {peer}")
    lines.append(f"| {figure} | {ours} | {peer} | {theirs} | {rtext} | {ttext} | {result} |")
lines += ["", "Speed ratios are peer ÷ diaryd; the \"within\" and RSS ratios are diaryd ÷ peer. The no-op target is "
          "judged against the cheapest request measured that proves nothing changed, whichever it is; the rows "
          "without a target are for reference (on Radicale, PROPFIND {getctag} alone is cheaper than the "
          "sync-collection REPORT, so a client that asks for the ctag first saves on a no-op sync and pays "
          "for it on a sync with changes).", ""]
if not dd_ok:
    lines += ["diaryd sync: not available yet (parts 1 and 2 ran; the targets cannot be judged).", ""]

# ---- vdirsyncer ----
lines += ["### vdirsyncer", "",
          "| run | runs | wall (median) | range | peak RSS |", "|---|---:|---:|---|---:|"]
for key, label in (("vd.discover", "discover (needed once before the first sync)"),
                   ("vd.initial", "initial sync (fresh vdir and status)"),
                   ("vd.noop", "no-op sync"),
                   ("vd.change", "sync after one event changed on the server (curl PUT)")):
    lines.append(f"| {label} | {reps(key)} | {secs(wall(key))} | {spread(key)} | {mb(rss(key))} |")
lines += ["", f"vdirsyncer stores each item with atomicwrites, which fsyncs every file (and its folder): "
          f"one such 1 kB write took {facts.get('fsync_ms', '?')} ms here during this run (10,000 of them: "
          f"{float(facts.get('fsync_ms', 'nan')) * 10:.0f} s), so its initial sync follows the disk's fsync latency; "
          f"the rest is mostly Radicale's PROPFIND Depth 1 (see below)."]
lines += ["", f"Items in the vdir after the initial sync: {facts.get('vd_local_items', '?')}; "
          f"files holding the last server-side change after the one-change sync: {facts.get('vd_change_arrived', '?')}.", ""]

# ---- raw ----
raw_rows = [
    ("raw.options", "OPTIONS (fixed cost: process, connection, auth)"),
    ("raw.propfind0.name", "PROPFIND Depth 0 {displayname} (no item scan)"),
    ("raw.propfind0.ctag_token", "(a) PROPFIND Depth 0 {getctag, sync-token}"),
    ("raw.propfind0.ctag", "(a) PROPFIND Depth 0 {getctag}"),
    ("raw.propfind0.token", "(a) PROPFIND Depth 0 {sync-token}"),
    ("raw.sync.noop", "(a) REPORT sync-collection, current token (nothing changed)"),
    ("raw.put1", "PUT of one changed event (the server-side change)"),
    ("raw.sync.change", "(b) REPORT sync-collection, token from before one change (first request after it)"),
    ("raw.sync.change_again", "(b') the same REPORT repeated (Radicale has stored the new state)"),
    ("raw.multiget1", "(b) calendar-multiget of the changed href"),
    ("raw.get1", "(b) GET of the changed href"),
    ("raw.multiget500", "calendar-multiget of 500 hrefs"),
    ("raw.sync.notoken", "REPORT sync-collection, no token, {getetag}"),
    ("raw.sync.notoken.data", "REPORT sync-collection, no token, {getetag, calendar-data}"),
    ("raw.cquery.data", "(c) calendar-query VEVENT with calendar-data (whole calendar)"),
    ("raw.cquery.data.gzip", "(c) the same with Accept-Encoding: gzip"),
    ("raw.propfind1.etag", "(c) PROPFIND Depth 1 {getetag} (whole calendar)"),
]
lines += ["### Raw requests (curl)", "",
          "| request | runs | wall (median, curl process) | range | server time (curl time_total) | response body | HTTP |",
          "|---|---:|---:|---|---:|---:|---|"]
for key, label in raw_rows:
    if key not in runs:
        continue
    codes = sorted({r["note"].split()[0] for r in runs[key] if r["note"]})
    lines.append(f"| {label} | {reps(key)} | {secs(wall(key))} | {spread(key)} | {secs(curl_field(key, 2))} "
                 f"| {size(curl_field(key, 1))} | {','.join(codes)} |")
lines.append("")

# ---- diaryd ----
if dd_ok:
    lines += ["### diaryd sync", "", "| run | runs | wall (median) | range | peak RSS | output (last line, last run) |",
              "|---|---:|---:|---|---:|---|"]
    for key, label in (("dd.initial", "initial sync (fresh store)"), ("dd.noop", "no-op sync"),
                       ("dd.change", "sync after one event changed on the server")):
        note = runs[key][-1]["note"] if runs.get(key) else ""
        lines.append(f"| {label} | {reps(key)} | {secs(wall(key))} | {spread(key)} | {mb(rss(key))} | `{note}` |")
    lines += ["", f"Store size after the runs: {size(facts.get('dd_db_bytes'))}.", ""]

# ---- facts ----
plain, gz = curl_field("raw.cquery.data", 1), curl_field("raw.cquery.data.gzip", 1)
lines += ["### Protocol observations", "",
          f"- sync-collection without a token answers with every href: {facts.get('notoken_sync_responses', '?')} "
          f"responses ({facts.get('notoken_data_sync_responses', '?')} with calendar-data when asked for it) "
          "plus a token.",
          f"- sync-collection with the current token: {facts.get('noop_sync_responses', '?')} responses "
          f"({facts.get('noop_sync_body_bytes', '?')} bytes: just the token); after one change: "
          f"{facts.get('change_sync_responses', '?')} response(s).",
          f"- a token the server does not know: {facts.get('bad_token', '?')}",
          f"- calendar-multiget of 500 hrefs: {facts.get('multiget500_responses', '?')} responses in "
          f"{secs(wall('raw.multiget500'))}; calendar-query returned {facts.get('cquery_responses', '?')} items; "
          f"PROPFIND Depth 1 {facts.get('propfind1_responses', '?')} responses (collection included).",
          f"- gzip: {facts.get('gzip_header', '?')} when asked; whole calendar {size(plain)} → {size(gz)}.",
          f"- connections: {facts.get('server_header', '?')}; two GETs in one curl call: "
          f"{facts.get('keepalive', '?')}",
          ]
if "radicale_log" in facts:
    lines.append(f"- Radicale log: {facts['radicale_log']}")
lines.append("")
if failures:
    lines += ["Failures:", ""] + [f"- {f}" for f in failures] + [""]

report = "\n".join(lines)
open(out_path, "w").write(report)
print(report)
sys.exit(1 if failures or missed else 0)
