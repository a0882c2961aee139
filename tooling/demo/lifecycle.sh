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
# ssh-keygen refuses private keys others can read: the demo keys get a private copy.
signing="$(mktemp -d)"
trap 'rm -rf "$signing"' EXIT
for key in "$keys"/*.ssh; do install -m 600 "$key" "$signing/"; done

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
at() { export CASETRAIL_NOW="$1"; printf '\n\033[2m-- %s --\033[0m' "$1"; }
# Every change is a commit signed by the person who made it (the audit log), dated by the
# simulated office clock.
person() { sed -n "/handle: $1\$/,/email:/s/^ *\(name\|email\): //p" schema/roster.yaml; }
commit() {  # commit HANDLE MESSAGE [git commit options]
  local who="$1" message="$2"; shift 2
  local name email; { read -r name; read -r email; } < <(person "$who")
  git add -A
  GIT_AUTHOR_DATE="$CASETRAIL_NOW" GIT_COMMITTER_DATE="$CASETRAIL_NOW" \
    git -c user.name="$name" -c user.email="$email" -c gpg.format=ssh \
    -c user.signingkey="$signing/$who.ssh" commit -q -S -m "$message" "$@"
  printf '\033[2m   committed %s, signed by %s\033[0m\n' "$(git rev-parse --short=12 HEAD)" "$who"
}
merge() {  # merge HANDLE BRANCH MESSAGE: a signed merge commit on main
  local who="$1" branch="$2" message="$3" name email
  { read -r name; read -r email; } < <(person "$who")
  GIT_AUTHOR_DATE="$CASETRAIL_NOW" GIT_COMMITTER_DATE="$CASETRAIL_NOW" \
    git -c user.name="$name" -c user.email="$email" -c gpg.format=ssh \
    -c user.signingkey="$signing/$who.ssh" merge -q --no-ff -S -m "$message" "$branch"
  printf '\033[2m   merged %s as %s, signed by %s\033[0m\n' "$branch" "$(git rev-parse --short=12 HEAD)" "$who"
}

at 2026-11-20T08:00:00+01:00
git init -q -b main
commit hlindqvist "Introduce the records repository: example records, schema, roster"
echo; echo "# This first signed commit is the trust root: every later commit must be signed by a key"
echo "# the roster of its parent commit authorises."
sed -i "s/^trust_root: null/trust_root: $(git rev-parse HEAD)/" schema/policy.yaml
commit hlindqvist "Policy: name the trust root"

at 2026-11-20T18:30:00+01:00  # a Friday evening
step "$casetrail" new --by amartin --type complaint --priority high \
  --title "Permit renewal letter never answered" --received-at 2026-11-20T17:55:00+01:00
case_id=$(git status --porcelain cases | sed -n 's|^?? cases/2026/\(.*\)\.md$|\1|p')
commit amartin "Register $case_id"

at 2026-11-23T09:10:00+01:00  # Monday morning
step "$casetrail" assess "$case_id" --by amartin --notes "renewal request lost in the post room"
commit amartin "Assess $case_id"
step "$casetrail" verify "$case_id" --by gharris
commit gharris "Verify the intake of $case_id"
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
commit fweber "Assign $case_id to $top"

at 2026-11-23T09:40:00+01:00
step "$casetrail" ack "$case_id" --by "$top"
commit "$top" "Acknowledge $case_id"
step "$casetrail" stakeholder add "$case_id" --by "$top" --role complainant
step "$casetrail" contact "$case_id" --by "$top" --stakeholder S1 --channel phone \
  --summary "Apologised and explained the renewal will be issued today"
commit "$top" "First contact on $case_id"
echo; echo "# Names and notes go into the encrypted sections, never the front matter:"
outside=$(mktemp -d)  # plaintext never sits inside the records repository
trap 'rm -rf "$outside" "$signing"' EXIT
printf 'S1: Jordan Example (fictional), +49 30 0000 0000\n' > "$outside/parties.txt"
step "$casetrail" section set "$case_id" Parties -i "$keys/$top.agekey" < "$outside/parties.txt"
printf 'Fictional letter from the complainant.\n' > "$outside/letter.txt"
step "$casetrail" attach "$case_id" "$outside/letter.txt" --by "$top" --kind correspondence \
  --date 2026-11-20
commit "$top" "Parties and the complainant's letter for $case_id (encrypted)"
step "$casetrail" show "$case_id" --section Parties
step "$casetrail" show "$case_id" --section Parties --decrypt -i "$keys/$top.agekey"
step "$casetrail" followup add "$case_id" --by "$top" --title "Issue the renewed permit" \
  --owner "$top" --due 2026-11-23
commit "$top" "Follow-up for $case_id"

at 2026-11-23T14:00:00+01:00
step "$casetrail" followup done "$case_id" F1 --by "$top" --outcome "Permit renewed and posted"
step "$casetrail" review "$case_id" --by "$top" --summary "Permit issued; awaiting confirmation"
step "$casetrail" stakeholder closure "$case_id" S1 --by "$top" --agreement agreed
commit "$top" "Permit issued for $case_id"
echo; echo "# Closure goes through a branch: the supervisor's signed merge is the approval."
git switch -q -c "close/$case_id"
step "$casetrail" request-closure "$case_id" --by "$top" --outcome resolved \
  --summary "Permit renewed the next business day" \
  --lessons "Post room to log registered letters on arrival"
commit "$top" "Request closure of $case_id"

at 2026-11-23T15:30:00+01:00
echo; echo "# Closing re-encrypts sections and documents for supervisors and the escrow key only"
echo "# (SOP 002: access revoked for closed case). The records office uses its escrow key:"
step "$casetrail" close "$case_id" --by hlindqvist --approved-by gharris -i "$keys/escrow.agekey"
commit hlindqvist "Close $case_id"
git switch -q main
at 2026-11-23T15:45:00+01:00
merge gharris "close/$case_id" "Approve the closure of $case_id"
echo; echo "# The handler can no longer read the current record:"
"$casetrail" show "$case_id" --section Parties --decrypt -i "$keys/$top.agekey" || true
step "$casetrail" status "$case_id"
step "$casetrail" overdue --as-of 2026-11-23T16:00:00+01:00
step "$casetrail" workload
step "$casetrail" agenda --for bkoch --as-of 2026-11-23T16:00:00+01:00
step "$casetrail" report --period 2026-11 --as-of 2026-11-23T16:00:00+01:00
step "$casetrail" check --as-of 2026-11-23T16:00:00+01:00
echo; echo "# The history is the audit log: each change in words, with who signed it."
step "$casetrail" log "$case_id"
echo; echo "# Anyone can verify it from a clone, without a key:"
step "$casetrail" audit --permissions
echo; echo "# A handler who edits the closed case straight on main is caught:"
at 2026-11-24T09:00:00+01:00
git switch -q -c tampered
sed -i 's/^title: .*/title: "Edited after closure"/' "cases/2026/$case_id.md"
commit "$top" "Edit the closed case $case_id"
"$casetrail" audit --no-record || echo "(exit $? : the change is refused)"
git switch -q main && git branch -q -D tampered
echo; echo "Scratch records left in $scratch (git log --show-signature, casetrail audit)."
