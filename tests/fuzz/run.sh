#!/bin/sh
# `make fuzz`: builds the libFuzzer targets with clang, ASan and UBSan, and
# runs each for SECONDS (default 30): fuzz_ical from tests/fuzz/corpus-work,
# fuzz_davxml from the seeds in tests/fuzz/seeds-davxml, fuzz_calobj from the
# seeds in tests/fuzz/seeds-calobj.
set -eu
seconds=${1:-30}
out=build-fuzz
mkdir -p "$out" tests/fuzz/corpus-work "$out/corpus-davxml" "$out/corpus-calobj"
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -std=c11"
inc="-Icore -Itests/unit $(pkg-config --cflags glib-2.0 libical libxml-2.0)"
libs="$(pkg-config --libs glib-2.0 libical libxml-2.0) -lm"
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_ical" tests/fuzz/fuzz_ical.c tests/unit/testutil.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_davxml" tests/fuzz/fuzz_davxml.c core/*.c $libs
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_calobj" tests/fuzz/fuzz_calobj.c core/*.c $libs
cp tests/data/sample-diary/*.ics tests/fuzz/corpus-work/ 2>/dev/null || true
"$out/fuzz_ical" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 tests/fuzz/corpus-work
# New inputs go to the first directory (under build-fuzz/); the seeds stay as written.
"$out/fuzz_davxml" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-davxml" \
  tests/fuzz/seeds-davxml
"$out/fuzz_calobj" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 "$out/corpus-calobj" \
  tests/fuzz/seeds-calobj
