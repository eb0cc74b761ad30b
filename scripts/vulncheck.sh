#!/usr/bin/env bash
# Runs govulncheck against a vulnerability database built from the
# golang.org/x/vulndb module, so it works where vuln.go.dev is out of reach.
# Set VULNDB_URL (e.g. https://vuln.go.dev) to use a live database instead.
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
exec go tool govulncheck -db "$VULNDB_URL" ./...
