#!/usr/bin/env bash
# Runs every test of vpe on a fresh Debian machine: installs packages, builds once (Ninja),
# starts a private Docker engine (or reuses one), bootstraps the base image, then runs the unit,
# integration and end-to-end tests and the fuzzer. Stops the engine it started, pass or fail.
set -uo pipefail
source "$(dirname "$0")/common.sh"
start_time=$(date +%s)

"$ROOT/scripts/install-deps.sh" || exit 1
build_all || { echo "test: build failed"; exit 1; }

engine_up || exit 1
trap engine_down_if_started EXIT
base_image || { echo "test: base image bootstrap failed"; exit 1; }

LOGDIR="$BUILD_DIR/test-logs"
mkdir -p "$LOGDIR"
total_pass=0
total_fail=0
failed_groups=()

# Runs one ctest label; adds its counts to the totals.
run_label() {
  local label="$1"; shift
  echo "=== $label tests ==="
  local out="$LOGDIR/$label.log"
  ctest --test-dir "$BUILD_DIR" -L "^${label}\$" --output-on-failure --timeout 600 "$@" 2>&1 | tee "$out"
  local line passed failed
  line=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$out" | tail -n1)
  if [ -z "$line" ]; then
    if grep -q "No tests were found" "$out"; then
      echo "test: no $label tests found"; failed_groups+=("$label(none found)"); return
    fi
    failed_groups+=("$label(no summary)"); return
  fi
  failed=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
  local all
  all=$(echo "$line" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
  passed=$((all - failed))
  total_pass=$((total_pass + passed))
  total_fail=$((total_fail + failed))
  [ "$failed" -eq 0 ] || failed_groups+=("$label")
  eval "count_${label}=${all}"
}

count_unit=0; count_integration=0; count_e2e=0
run_label unit -j2
run_label integration
if ctest --test-dir "$BUILD_DIR" -N -L '^e2e$' | grep -q "Total Tests: [1-9]"; then
  run_label e2e
fi

echo "=== format ==="
# STYLE.md: clang-format (Google base, 100 columns, .clang-format) is part of the checks.
unformatted=$(cd "$ROOT" && git ls-files '*.cc' '*.h' | xargs clang-format --dry-run 2>&1 \
  | grep -oE '^[^:]+:[0-9]+:[0-9]+: warning' | cut -d: -f1 | sort -u)
if [ -z "$unformatted" ]; then
  total_pass=$((total_pass + 1)); echo "format: clean"
else
  total_fail=$((total_fail + 1)); failed_groups+=("format")
  echo "format: not clang-formatted (run clang-format -i on them):"; echo "$unformatted"
fi

echo "=== fuzz ==="
if [ ! -x "$ROOT/scripts/run-fuzz.sh" ]; then
  total_fail=$((total_fail + 1)); failed_groups+=("fuzz(missing scripts/run-fuzz.sh)")
else
  if "$ROOT/scripts/run-fuzz.sh" >"$LOGDIR/fuzz.log" 2>&1; then
    total_pass=$((total_pass + 1)); tail -n 3 "$LOGDIR/fuzz.log"
  else
    total_fail=$((total_fail + 1)); failed_groups+=("fuzz"); tail -n 40 "$LOGDIR/fuzz.log"
  fi
fi

elapsed=$(( $(date +%s) - start_time ))
echo "suite: unit=$count_unit integration=$count_integration e2e=$count_e2e wall=${elapsed}s"
[ ${#failed_groups[@]} -eq 0 ] || echo "failed groups: ${failed_groups[*]}"
echo "tests: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ ${#failed_groups[@]} -eq 0 ]
