#!/bin/sh
# `make fuzz`: builds the libFuzzer targets with clang, ASan and UBSan, and
# runs each for SECONDS (default 30) from the seed corpus in tests/fuzz/seeds.
set -eu
seconds=${1:-30}
out=build-fuzz
mkdir -p "$out" tests/fuzz/corpus-work
flags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE -std=c11"
inc="-Icore -Itests/unit $(pkg-config --cflags glib-2.0 libical)"
libs="$(pkg-config --libs glib-2.0 libical) -lm"
# shellcheck disable=SC2086
clang $flags $inc -o "$out/fuzz_ical" tests/fuzz/fuzz_ical.c tests/unit/testutil.c core/*.c $libs
cp tests/data/sample-diary/*.ics tests/fuzz/corpus-work/ 2>/dev/null || true
"$out/fuzz_ical" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 tests/fuzz/corpus-work
