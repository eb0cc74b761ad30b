#!/usr/bin/env bash
# Mutation testing with gremlins (pinned in tools/go.mod): for each package of
# the service module, gremlins changes one operator at a time in its non-test
# code (a < becomes <=, a == becomes !=, a + becomes -) and runs the
# package's tests against each change. A change the tests catch is killed; one
# they pass is lived, a gap in what the tests check. Efficacy is killed over
# killed + lived; mutator coverage is the share of changes on lines the tests
# run at all.
#
# Usage: scripts/mutate.sh [PACKAGE_DIR...], e.g. scripts/mutate.sh
# internal/settings. Without arguments it takes every package of the module
# but the test helpers. It prints one row per package and exits 1 if a
# package is below MUTATE_MIN_EFFICACY (default 90) or MUTATE_MIN_COVERAGE
# (default 85) percent. Each package's full report, with the position of
# every lived mutant, is kept in build/mutate/.
set -euo pipefail
cd "$(dirname "$0")/.."

min_efficacy=${MUTATE_MIN_EFFICACY:-90}
min_coverage=${MUTATE_MIN_COVERAGE:-85}
# One worker: each worker is a copy of the tree building and testing at
# once, and the tests of a package already use every core.
workers=${MUTATE_WORKERS:-1}
# gremlins times the package's tests once and gives each mutant's run a
# multiple of that; a cached result would make that time near zero and
# every mutant time out.
export GOFLAGS="${GOFLAGS:-} -count=1"

if [ $# -eq 0 ]; then
  module=$(go list -m)
  mapfile -t pkgs < <(go list ./... | sed "s|^$module/\{0,1\}||; s|^$|.|" |
    grep -vxE 'internal/testenv|internal/mailer/smtptest|internal/tasks/taskstest|scripts/.*')
else
  pkgs=("$@")
fi

out=build/mutate
mkdir -p "$out" "$out/bin"
# Go's cover tool gives no block to the case expressions of a switch nor to
# package-level constants and variables, so gremlins would count every
# mutant there as not covered, however well the tests run them. gremlins
# gathers coverage with `go test ... -coverprofile FILE`; a go first on PATH
# runs that, then adds those spans to FILE (e2e/cmd/mutatecover says which);
# every other go command passes straight through.
# gremlins is built here and run directly: `go tool` would put its own
# go first on PATH.
go -C e2e build -o "$PWD/$out/bin/mutatecover" ./cmd/mutatecover
go build -modfile=tools/go.mod -o "$out/bin/gremlins" github.com/go-gremlins/gremlins/cmd/gremlins
MUTATE_REAL_GO=$(command -v go)
MUTATE_ROOT=$PWD
MUTATE_MODULE=$(go list -m)
export MUTATE_REAL_GO MUTATE_ROOT MUTATE_MODULE
# gremlins v0.6 finds a mutant's package by the directory named after it,
# so for a package main (cmd/api) it tests the module root, which has no
# Go files: every mutant failed at once and counted as killed. The wrapper
# tests the package being measured instead (MUTATE_PKG, an import path:
# gremlins runs go test in the mutant's directory).
cat >"$out/bin/go" <<'EOF'
#!/usr/bin/env bash
set -euo pipefail
args=("$@")
if [ "${1:-}" = test ] && [ -n "${MUTATE_PKG:-}" ] && [ "${args[-1]}" = "$MUTATE_MODULE" ]; then
  args[-1]=$MUTATE_PKG
fi
set -- "${args[@]}"
"$MUTATE_REAL_GO" "$@"
profile=
for arg in "$@"; do
  if [ "${want:-}" = 1 ]; then profile=$arg; fi
  want=0
  if [ "$arg" = -coverprofile ]; then want=1; fi
done
if [ "${1:-}" = test ] && [ -n "$profile" ]; then
  "$MUTATE_ROOT/build/mutate/bin/mutatecover" -root . "$profile"
fi
EOF
chmod +x "$out/bin/go"
export PATH="$PWD/$out/bin:$PATH"
failed=0
# A Markdown table, aligned for a terminal too.
row() { printf '| %-26s | %6s | %5s | %11s | %9s | %8s | %8s | %6s |\n' "$@"; }
row package killed lived 'not covered' 'timed out' efficacy coverage time
row --- --- --- --- --- --- --- ---
for pkg in "${pkgs[@]}"; do
  log=$out/$(tr / _ <<<"$pkg").txt
  start=$SECONDS
  MUTATE_PKG=$(go list "./$pkg") && export MUTATE_PKG
  # -E '/': gremlins walks the directory and its subdirectories; a
  # subdirectory is a package of its own, with its own row. The tests of
  # the subpackages still run once, for the coverage gathering.
  if ! "$out/bin/gremlins" unleash --workers "$workers" \
    --timeout-coefficient "${MUTATE_TIMEOUT_COEFFICIENT:-3}" -E / "./$pkg" >"$log" 2>&1; then
    echo "| $pkg | gremlins failed, see $log |"
    failed=1
    continue
  fi
  secs=$((SECONDS - start))
  count() { sed -n "s/.*$1: \([0-9]*\).*/\1/p" "$log" | tail -1; }
  percent() { sed -n "s/^$1: \([0-9.]*\)%.*/\1/p" "$log" | tail -1; }
  efficacy=$(percent 'Test efficacy')
  coverage=$(percent 'Mutator coverage')
  killed=$(count Killed)
  if [ -z "$killed" ]; then
    # No mutant at all (a package of declarations only): nothing to measure.
    row "$pkg" 0 0 0 0 - - "${secs}s"
    continue
  fi
  row "$pkg" "$killed" "$(count Lived)" "$(count 'Not covered')" "$(count 'Timed out')" \
    "${efficacy:-0}%" "${coverage:-0}%" "${secs}s"
  if awk -v e="${efficacy:-0}" -v c="${coverage:-0}" -v me="$min_efficacy" -v mc="$min_coverage" \
    'BEGIN { exit !(e < me || c < mc) }'; then
    failed=1
  fi
done
if [ "$failed" -ne 0 ]; then
  echo "mutate: a package is below ${min_efficacy}% efficacy or ${min_coverage}% coverage, or gremlins failed; the lived mutants are in $out/" >&2
  exit 1
fi
