#!/usr/bin/env bash
# Runs govulncheck against a vulnerability database built from the
# golang.org/x/vulndb module, so it works where vuln.go.dev is out of reach.
# Set VULNDB_URL (e.g. https://vuln.go.dev) to use a live database instead.
# It prints govulncheck's report only when it fails; a pass is one line.
# GOVULNCHECK names another command to run (the tests use a fake).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VULNDB_URL:-}" ]; then
  rev=v0.0.0-20261105234957-e22db6528018
  db=${VULNDB_DIR:-$(go env GOCACHE)/vulndb-$rev}
  if [ ! -f "$db/index/db.json" ]; then
    go mod download golang.org/x/vulndb@$rev
    src=$(go mod download -json golang.org/x/vulndb@$rev | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
    (cd "$(mktemp -d)" && go run golang.org/x/vulndb/cmd/indexdb@$rev -vulns "$src/data/osv" -out "$db.tmp")
    rm -rf "$db" && mv "$db.tmp" "$db"
  fi
  VULNDB_URL=file://$db
fi

# govulncheck exits non-zero on any finding; the verdict here is ours: fail
# on findings that are not in the accepted list, with its reasons.
out=$(${GOVULNCHECK:-go tool -modfile=tools/go.mod govulncheck} -db "$VULNDB_URL" ./... 2>&1) || true
# No finding, or no accepted entry, is a grep without a match: not a failure.
found=$({ grep -oE '^Vulnerability #[0-9]+: GO-[0-9]+-[0-9]+' <<<"$out" || true; } | awk '{print $3}' | sort -u)
accepted=$({ grep -oE '^GO-[0-9]+-[0-9]+' scripts/vulncheck-accepted.txt || true; } | sort -u)
if ! grep -qE 'No vulnerabilities found|Your code is affected' <<<"$out"; then
  echo "$out"
  echo "vulncheck: govulncheck did not run to the end" >&2
  exit 1
fi
new=$(comm -23 <(echo "$found") <(echo "$accepted") | sed '/^$/d')
gone=$(comm -13 <(echo "$found") <(echo "$accepted") | sed '/^$/d')
[ -z "$gone" ] || echo "vulncheck: no longer reported, remove from scripts/vulncheck-accepted.txt: $(echo $gone)"
if [ -n "$new" ]; then
  echo "$out"
  echo "vulncheck: FAIL: not reviewed: $(echo $new)" >&2
  exit 1
fi
echo "vulncheck: ok ($(echo "$found" | sed '/^$/d' | wc -l) reported, all reviewed in scripts/vulncheck-accepted.txt: $(echo $found))"
