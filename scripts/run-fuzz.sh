#!/usr/bin/env bash
# Builds the spec parser fuzzer with clang (libFuzzer + AddressSanitizer + UBSan) and runs it
# briefly on a seed corpus made from the example specs, the test specs and the invalid-spec
# table. Exits non-zero when the fuzzer finds a crash, a leak, a hang or a sanitizer report.
#   scripts/run-fuzz.sh [SECONDS]        (default 20; VPE_FUZZ_SECONDS also works)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SECONDS_TO_RUN="${1:-${VPE_FUZZ_SECONDS:-20}}"
OUT="${VPE_FUZZ_DIR:-${VPE_BUILD_DIR:-$ROOT/build}/fuzz}"
CXX_FUZZ="${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14 || true)}"
if [ -z "$CXX_FUZZ" ]; then
  echo "fuzz: clang++ not found (apt-get install clang); cannot build the libFuzzer target" >&2
  exit 1
fi
mkdir -p "$OUT"
BIN="$OUT/envspec_fuzz"

echo "fuzz: building $BIN with $CXX_FUZZ"
# shellcheck disable=SC2046
"$CXX_FUZZ" -std=c++17 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$ROOT" -DVPE_FUZZ_BASE_DIR="\"$ROOT/env_specs/examples\"" \
  "$ROOT/tests/fuzz/env_specs/spec_parser_fuzz.cc" "$ROOT"/env_specs/*.cc "$ROOT/common/tar.cc" \
  -lyaml-cpp -lcrypto -larchive -o "$BIN"

# Seeds: every spec we have, plus each YAML snippet of the invalid-spec table.
SEEDS="$OUT/seeds"
CORPUS="$OUT/corpus"
rm -rf "$SEEDS"
mkdir -p "$SEEDS" "$CORPUS"
i=0
for f in "$ROOT"/env_specs/examples/*.yml "$ROOT"/tests/unit/env_specs/testdata/*.yml; do
  cp "$f" "$SEEDS/seed-$i.yml"; i=$((i + 1))
done
python3 - "$ROOT/tests/unit/env_specs/spec_invalid_test.cc" "$SEEDS" <<'PY' || true
import re, sys, pathlib
src = pathlib.Path(sys.argv[1]).read_text()
out = pathlib.Path(sys.argv[2])
# The second string of each {"title", "yaml...", "message"} entry, adjacent literals joined.
for n, m in enumerate(re.finditer(r'\{"[^"]*",\s*((?:"(?:[^"\\]|\\.)*"\s*)+),', src)):
    parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
    text = "".join(parts).encode().decode("unicode_escape")
    (out / f"table-{n}.yml").write_text(text)
PY
echo "fuzz: $(ls "$SEEDS" | wc -l) seeds; running for ${SECONDS_TO_RUN}s"

cd "$OUT"
# -timeout: one input taking longer than 10 s is a hang. -rss_limit_mb keeps a blow-up visible.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
"$BIN" -max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -dict="$ROOT/tests/fuzz/env_specs/spec.dict" -print_final_stats=1 \
  "$CORPUS" "$SEEDS"
echo "fuzz: no crash in ${SECONDS_TO_RUN}s"
