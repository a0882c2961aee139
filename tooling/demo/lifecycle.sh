#!/usr/bin/env bash
# `make demo`, part 2: one case walked through the procedure with the real commands, on a
# scratch copy of the example records (build/demo-lifecycle, git-ignored). The office clock
# is simulated with CASETRAIL_NOW so the run is the same every time.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
casetrail="$here/.venv/bin/casetrail"
scratch="$here/build/demo-lifecycle"
keys="$here/tests/demo-keys-DO-NOT-USE"  # fictional people's keys, public on purpose
unset CASETRAIL_AGE_KEY_FILE CASETRAIL_AGE_KEY_CMD  # each step names the key its actor holds

rm -rf "$scratch" && mkdir -p "$scratch"
cp -r "$here/schema" "$here/cases" "$scratch/"
cd "$scratch"
git init -q && git add -A
git -c user.name=demo -c user.email=demo@casetrail.invalid commit -q -m "Example records"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
at() { export CASETRAIL_NOW="$1"; printf '\n\033[2m-- %s --\033[0m' "$1"; }

at 2026-11-20T18:30:00+01:00  # a Friday evening
step "$casetrail" new --by amartin --type complaint --priority high \
  --title "Permit renewal letter never answered" --received-at 2026-11-20T17:55:00+01:00
case_id=$(git status --porcelain cases | sed -n 's|^?? cases/2026/\(.*\)\.md$|\1|p')

at 2026-11-23T09:10:00+01:00  # Monday morning
step "$casetrail" assess "$case_id" --by amartin --notes "renewal request lost in the post room"
step "$casetrail" verify "$case_id" --by gharris
step "$casetrail" suggest "$case_id"
echo; echo "# Choosing someone other than the top suggestion needs a reason; the file is left as it was:"
before=$(sha256sum "cases/2026/$case_id.md")
"$casetrail" assign "$case_id" --by fweber --handler cnguyen --approved-by fweber --rationale "knows the permit system" || true
[ "$before" = "$(sha256sum "cases/2026/$case_id.md")" ] && echo "(file unchanged)"
top=$("$casetrail" suggest "$case_id" --format json | python3 -c 'import json,sys; print(next(c["person"] for c in json.load(sys.stdin)["candidates"] if c["eligible"]))')
echo; echo "# Assigning changes who may read the case, so its sections are re-encrypted with the"
echo "# supervisor's key in the same write:"
step "$casetrail" assign "$case_id" --by fweber --handler "$top" --approved-by fweber \
  --rationale "complaints handler with the most free capacity" -i "$keys/fweber.agekey"

at 2026-11-23T09:40:00+01:00
step "$casetrail" ack "$case_id" --by "$top"
step "$casetrail" stakeholder add "$case_id" --by "$top" --role complainant
step "$casetrail" contact "$case_id" --by "$top" --stakeholder S1 --channel phone \
  --summary "Apologised and explained the renewal will be issued today"
echo; echo "# Names and notes go into the encrypted sections, never the front matter:"
outside=$(mktemp -d)  # plaintext never sits inside the records repository
trap 'rm -rf "$outside"' EXIT
printf 'S1: Jordan Example (fictional), +49 30 0000 0000\n' > "$outside/parties.txt"
step "$casetrail" section set "$case_id" Parties -i "$keys/$top.agekey" < "$outside/parties.txt"
printf 'Fictional letter from the complainant.\n' > "$outside/letter.txt"
step "$casetrail" attach "$case_id" "$outside/letter.txt" --by "$top" --kind correspondence \
  --date 2026-11-20
step "$casetrail" show "$case_id" --section Parties
step "$casetrail" show "$case_id" --section Parties --decrypt -i "$keys/$top.agekey"
step "$casetrail" followup add "$case_id" --by "$top" --title "Issue the renewed permit" \
  --owner "$top" --due 2026-11-23

at 2026-11-23T14:00:00+01:00
step "$casetrail" followup done "$case_id" F1 --by "$top" --outcome "Permit renewed and posted"
step "$casetrail" review "$case_id" --by "$top" --summary "Permit issued; awaiting confirmation"
step "$casetrail" stakeholder closure "$case_id" S1 --by "$top" --agreement agreed
step "$casetrail" request-closure "$case_id" --by "$top" --outcome resolved \
  --summary "Permit renewed the next business day" \
  --lessons "Post room to log registered letters on arrival"

at 2026-11-23T15:30:00+01:00
echo; echo "# Closing re-encrypts sections and documents for supervisors and the escrow key only"
echo "# (SOP 002: access revoked for closed case). The records office uses its escrow key:"
step "$casetrail" close "$case_id" --by hlindqvist --approved-by gharris -i "$keys/escrow.agekey"
echo; echo "# The handler can no longer read the current record:"
"$casetrail" show "$case_id" --section Parties --decrypt -i "$keys/$top.agekey" || true
step "$casetrail" status "$case_id"
step "$casetrail" overdue --as-of 2026-11-23T16:00:00+01:00
step "$casetrail" workload
step "$casetrail" agenda --for bkoch --as-of 2026-11-23T16:00:00+01:00
step "$casetrail" report --period 2026-11 --as-of 2026-11-23T16:00:00+01:00
step "$casetrail" check --as-of 2026-11-23T16:00:00+01:00
echo; echo "Scratch records left in $scratch (git log, git diff HEAD to see what changed)."
