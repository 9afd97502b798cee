#!/usr/bin/env bash
# Time-boxed libFuzzer runs, one per input format (docs/reliability.md, "Fuzzing"):
#   tools/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]     (default 60 s; targets: npy idx onnx arch_yaml set)
# Builds the harnesses (tests/fuzz) with clang, ASan and UBSan in build-asan/ (MXSIM_FUZZ_BUILD_DIR; the same
# tree tools/sanitize.sh tests), seeds each from committed files, and fails on the first crash, sanitizer
# report, timeout, out-of-memory or non-mxsim::Error exception. A finding is saved as
# <build>/fuzz-findings/<target>-crash-<sha1> (reproduce: <build>/tests/fuzz/fuzz_<target> FILE); the corpus
# grown so far is kept in <build>/fuzz-corpus/<target> and reused by the next local run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(npy idx onnx arch_yaml set)
builddir=${MXSIM_FUZZ_BUILD_DIR:-build-asan}

# tools/sanitize.sh installs clang and libclang-rt-dev if missing and configures the shared tree.
tools/sanitize.sh --configure-only
cmake --build "$builddir" -j "$(nproc)" --target fuzzers

# Seeds: committed files of each format (small ones, so each execution stays fast).
seeds() {
  case "$1" in
    npy) echo tests/data/*_logits.npy tests/data/fmnist_cnn_ref_labels.npy ;;
    idx) echo tests/fuzz/seeds/idx ;;
    onnx) echo tests/data/bad_models/*.onnx workloads/zoo/fmnist_cnn.onnx workloads/zoo/lenet5_baseline.onnx ;;
    arch_yaml) echo sim/presets/*.yaml ;;
    set) echo tests/fuzz/seeds/set ;;
    *) echo "fuzz: unknown target '$1' (targets: npy idx onnx arch_yaml set)" >&2; return 1 ;;
  esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=1:allocator_may_return_null=0"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="${LSAN_OPTIONS:-}:suppressions=$PWD/tools/lsan.supp"
findings="$builddir/fuzz-findings"
mkdir -p "$findings"
failed=()
for t in "${targets[@]}"; do
  read -r -a seedfiles <<<"$(seeds "$t")"
  corpus="$builddir/fuzz-corpus/$t"
  mkdir -p "$corpus" "$corpus.seeds"
  # libFuzzer takes files only inside directories: the seed files are copied into one.
  for s in "${seedfiles[@]}"; do
    if [[ -d "$s" ]]; then cp -f "$s"/* "$corpus.seeds/"; else cp -f "$s" "$corpus.seeds/"; fi
  done
  echo "fuzz: $t for ${seconds} s (seeds: ${#seedfiles[@]} files or folders)"
  # -malloc_limit_mb: any single allocation over 512 MB is a finding (hostile sizes must be refused before
  # allocating); -rss_limit_mb bounds the whole process; -timeout: one input taking > 10 s is a finding.
  if ! "$builddir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -malloc_limit_mb=512 -print_final_stats=1 -artifact_prefix="$findings/$t-" "$corpus" "$corpus.seeds" \
      >"$builddir/fuzz-$t.log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM (log: $builddir/fuzz-$t.log):" >&2
    grep -E "ERROR|SUMMARY|fuzz:|Test unit written" "$builddir/fuzz-$t.log" | head -20 >&2
    failed+=("$t")
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$builddir/fuzz-$t.log" | tr '\n' ' '
    echo
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: findings in: ${failed[*]} (saved in $findings)" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${seconds} s each, no findings"
