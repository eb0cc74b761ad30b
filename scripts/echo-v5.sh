#!/usr/bin/env bash
# echo-v5.sh makes build/echo-v5 a copy of this tree moved from Echo v4 to
# Echo v5, then builds, vets and tests the service module there. The copy is
# a whole service, ready to replace this one: its go.mod requires Echo v5
# only, and what only the v4 tree needs (this script, its make target and CI
# step, its README section, the accepted Echo v4 advisories) is left out.
#
# ECHO_V5_VERSION picks the Echo release (default below; `latest` works).
# The Go code is rewritten by scripts/echo-v5 (go run), which explains its
# rules; what it changed is printed, and where it cannot port some code it
# says where and fails.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/echo-v5
version=${ECHO_V5_VERSION:-v5.4.6}
echo_v4=github.com/labstack/echo/v4
echo_v5=github.com/labstack/echo/v5

fail() { echo "echo-v5: FAIL: $*" >&2; exit 1; }
step() { echo "echo-v5: $*"; }

grep -q "^[[:space:]]*$echo_v4 " go.mod || fail "go.mod does not require $echo_v4: nothing to move"

# The copy: what git tracks or would add, so bin/, data/ and build/ stay out.
step "copying the tree to $out"
rm -rf "$out"
mkdir -p "$out"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z -co --exclude-standard | while IFS= read -r -d '' f; do
    if [ -e "$f" ]; then printf '%s\0' "$f"; fi # a file deleted but not yet staged is listed too
  done | tar --null -T - -cf - | tar -xf - -C "$out"
else
  tar --exclude=./build --exclude=./bin --exclude=./data --exclude=./.git -cf - . | tar -xf - -C "$out"
fi

# The v4-only tooling goes: in the copy, `make echo-v5` has nothing to do.
rm -rf "$out/scripts/echo-v5" "$out/scripts/echo-v5.sh"
drop_blocks() { # FILE: drop the blank-line-separated blocks that mention echo-v5
  awk '
    function flush() { if (index(buf, "echo-v5") == 0) printf "%s", buf; buf = "" }
    /^$/ { buf = buf "\n"; flush(); next }
    { buf = buf $0 "\n" }
    END { flush() }' "$1" >"$1.tmp"
  cat "$1.tmp" >"$1" && rm "$1.tmp" # cat keeps the file's mode
}
drop_blocks "$out/Makefile"
drop_blocks "$out/.ci/run"
awk '/^## Moving to Echo v5/ { skip = 1; next } /^## / { skip = 0 } !skip' "$out/README.md" |
  grep -vF '| `make echo-v5` |' | sed 's/`make echo-v5`, //g; s/, `echo-v5`//g' >"$out/README.md.tmp"
mv "$out/README.md.tmp" "$out/README.md"
# The accepted Echo v4 advisories do not apply to v5.
grep -v '^GO-[0-9-]* Echo v4' scripts/vulncheck-accepted.txt >"$out/scripts/vulncheck-accepted.txt"
if grep -n 'echo-v5' "$out/README.md" "$out/Makefile" "$out/.ci/run"; then
  fail "the lines above still mention echo-v5 in the copy"
fi

step "rewriting the Go code (scripts/echo-v5)"
go run ./scripts/echo-v5 -out "$out"
# mw.Chain builds v4's middleware chain once, through a v4-only accessor;
# v5 builds its chain once itself, and takes a plain wrapper.
cp scripts/echo-v5/chain.go.v5 "$out/internal/mw/chain.go"

step "requiring $echo_v5@$version"
(
  cd "$out"
  go get "$echo_v5@$version"
  go mod tidy
)
grep -q "^[[:space:]]*$echo_v5 v5\." "$out/go.mod" || fail "$out/go.mod does not require $echo_v5"
if grep -q "$echo_v4" "$out/go.mod"; then
  fail "$out/go.mod still requires $echo_v4"
fi
deps=$(go -C "$out" list -deps -test ./...)
if grep -q "^$echo_v4" <<<"$deps"; then
  fail "a package of $out still imports $echo_v4"
fi

step "building, vetting and testing $out"
unformatted=$(gofmt -l "$out")
[ -z "$unformatted" ] || fail "gofmt would change: $unformatted"
go -C "$out" build ./...
go -C "$out" vet ./...
go -C "$out" test -race -count=1 ./...
# The rules' own example uses what the service does not; TestRewrite keeps
# its rewrite in testdata/v5, and here it must build on the same release.
step "vetting the rules' example (scripts/echo-v5/testdata/v5) on Echo v5"
example=$out/internal/echov5example
trap 'rm -rf "$example"' EXIT
mkdir -p "$example"
for f in scripts/echo-v5/testdata/v5/*.go.golden; do
  cp "$f" "$example/$(basename "${f%.golden}")"
done
go -C "$out" vet ./internal/echov5example
rm -rf "$example"

step "ok: $out is the service on $echo_v5 $(go -C "$out" list -m -f '{{.Version}}' "$echo_v5"), built, vetted and tested"
