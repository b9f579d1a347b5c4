#!/bin/sh
# `make fuzz`: builds the libFuzzer targets with clang, ASan and UBSan, and
# runs each for SECONDS (default 30): fuzz_ical from tests/fuzz/corpus-work,
# fuzz_davxml from the seeds in tests/fuzz/seeds-davxml (real Radicale and
# Xandikos replies to diaryd's own requests, and hand-written oddities),
# fuzz_calobj from the seeds in tests/fuzz/seeds-calobj, fuzz_message from a
# few seeds written below (fields separated by NUL bytes, see
# tests/fuzz/fuzz_message.c), fuzz_compose (rewrites for reschedule and
# cancel) from the sample diary, fuzz_when (what people type: durations,
# dates, start times, working hours) from tests/fuzz/seeds-when,
# fuzz_httpdate (Retry-After) from tests/fuzz/seeds-httpdate and
# fuzz_config (the config loader, which runs no command) from
# tests/fuzz/seeds-config.
set -eu
seconds=${1:-30}
out=build-fuzz
mkdir -p "$out" tests/fuzz/corpus-work "$out/corpus-davxml" "$out/corpus-calobj" "$out/corpus-message" "$out/corpus-compose" \
  "$out/corpus-when" "$out/corpus-httpdate" "$out/corpus-config"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -std=c11"
inc="-Icore -Itests/unit $(pkg-config --cflags glib-2.0 libical libxml-2.0)"
libs="$(pkg-config --libs glib-2.0 libical libxml-2.0) -lm"
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_ical" tests/fuzz/fuzz_ical.c tests/unit/testutil.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_davxml" tests/fuzz/fuzz_davxml.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_calobj" tests/fuzz/fuzz_calobj.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_message" tests/fuzz/fuzz_message.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_compose" tests/fuzz/fuzz_compose.c tests/unit/testutil.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_when" tests/fuzz/fuzz_when.c tests/unit/testutil.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_httpdate" tests/fuzz/fuzz_httpdate.c core/*.c $libs
# The config loader is not core/: it links config/ and GIO, but no agent/.
# shellcheck disable=SC2086
clang $flags $inc -Iconfig $(pkg-config --cflags gio-2.0) -o "$out/fuzz_config" tests/fuzz/fuzz_config.c config/*.c \
  core/*.c $libs $(pkg-config --libs gio-2.0)
cp tests/data/sample-diary/*.ics tests/fuzz/corpus-work/ 2>/dev/null || true
"$out/fuzz_ical" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 tests/fuzz/corpus-work
# New inputs go to the first directory (under build-fuzz/); the seeds stay as written.
"$out/fuzz_davxml" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-davxml" \
  tests/fuzz/seeds-davxml
"$out/fuzz_calobj" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-calobj" \
  tests/fuzz/seeds-calobj
# Seeds: flags, from name, to name, subject, text, html, ics, method, To, In-Reply-To, template.
printf '\077Sam Carter\000Eve\r\nBcc: evil@x.com\000R\303\251union caf\303\251 \342\230\225\000Hi\n.\nFrom me\n\000<p>x</p>\000BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n\000REQUEST\000alex@example.org\000<a@b.c>\000Subject: {summary}\n\nWhere: {where}\n{{x}}\n' \
  >"$out/corpus-message/seed-full"
printf '\000\000\000\000see https://example.com/?a=1&b=2.\000\000\000\000a@b\000\000Subject: x\n\n{nope}\n' \
  >"$out/corpus-message/seed-bad"
"$out/fuzz_message" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-message"
# Seeds: the sample diary's objects, and times as people type them.
cp tests/data/sample-diary/*.ics "$out/corpus-compose/" 2>/dev/null || true
printf 'tomorrow 10:00' >"$out/corpus-compose/seed-when"
"$out/fuzz_compose" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-compose"
"$out/fuzz_when" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-when" tests/fuzz/seeds-when
"$out/fuzz_httpdate" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-httpdate" \
  tests/fuzz/seeds-httpdate
"$out/fuzz_config" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-config" \
  tests/fuzz/seeds-config
