#!/usr/bin/env bash
# remove-feature.sh FEATURE deletes one of the template's optional features
# from this working tree: websockets (/ws, /chat and their page cards), files
# (uploads and downloads) or tasks (/notify and its email backends).
#
# A feature is its own files, listed below, plus lines marked in the files it
# shares with the rest: a line whose comment names "feature:NAME" goes, and
# so does every line from one naming "feature:NAME begin" to one naming
# "feature:NAME end" (blocks may nest). Then goimports drops the imports
# only those lines used, go mod tidy the requirements of both modules, and
# the settings docs are made again from the settings table.
set -euo pipefail
cd "$(dirname "$0")/.."

feature=${1:-}
case $feature in
websockets) paths=(internal/ws internal/handlers/ws.go internal/handlers/ws_test.go cmd/api/chat.go cmd/api/chat_test.go e2e/cmd/wsclient e2e/cmd/soak/chat{.go,_test.go}) ;;
files) paths=(internal/files internal/handlers/{upload,download}{.go,_test.go,_bench_test.go} internal/handlers/assets/large_file.zip e2e/cmd/soak/{files,content}{.go,_test.go} e2e/cmd/soak/objectstore.go e2e/service/s3_test.go) ;;
tasks) paths=(internal/tasks internal/mailer cmd/api/tasks.go cmd/api/tasks_test.go internal/handlers/{notify.go,notify_test.go,notify_bench_test.go,notify_redis_test.go,redisproxy_test.go} e2e/cmd/soak/{notify,mailsink}{.go,_test.go}) ;;
*)
  echo "usage: $0 websockets|files|tasks" >&2
  exit 2
  ;;
esac

rm -rf -- "${paths[@]}"
marker="feature:$feature"
changed=()
while IFS= read -r f; do
  awk -v m="$marker" '
    index($0, m " begin") { depth++; next }
    index($0, m " end")   { depth--; next }
    depth || index($0, m) { next }
    { print }' "$f" >"$f.tmp"
  mv "$f.tmp" "$f"
  changed+=("$f")
done < <(git grep -lF --untracked -- "$marker" || true)

gofiles=()
for f in "${changed[@]}"; do [[ $f == *.go ]] && gofiles+=("$f"); done
if ((${#gofiles[@]})); then
  go tool -modfile=tools/go.mod goimports -local "$(go list -m)" -w "${gofiles[@]}"
fi
go mod tidy
go -C e2e mod tidy
go test ./cmd/api -run TestSettingsDocumented -update >/dev/null
echo "removed $feature; check with: go build ./... && go vet ./... && go test ./..."
