"""`casetrail destroy`: destruction of records whose retention has ended, with four eyes and a
cooling-off period (SOP 002 §4.6; the rules in core/destruction.py, the I/O in
shell/destroying.py).

    propose   a records officer lists the cases due (retention/destruction/<LIST>.yaml)
    (merge)   a supervisor approves the list by merging its branch with a signed merge
    execute   after the cooling-off period, a records officer erases the keys, removes the
              documents, writes tombstones and the certificate, and commits them
    status    every list and where it stands
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from casetrail.cli.common import office
from casetrail.cli.main import UserError

if TYPE_CHECKING:
    from casetrail.cli.common import Office
    from casetrail.core.actions.base import Act
    from casetrail.core.case import Case
    from casetrail.core.destruction import Approval, DestructionList
    from casetrail.shell.keystore_dir import DirectoryKeyStore


@click.group()
def destroy() -> None:
    """Destroy records whose retention has ended: propose, approve by merge, execute."""


def _records_officer(act: Act, what: str) -> None:
    if "records_officer" not in act.actor.roles:
        raise UserError(f"{what} is for a records officer; {act.actor.handle} is not one")


def _case_rel(case_id: str) -> str:
    return f"cases/{case_id[:4]}/{case_id}.md"


@destroy.command()
@click.option(
    "--case", "chosen", multiple=True, metavar="ID", help="Only these cases (repeatable)."
)
@click.option("--reason", default="retention period ended", show_default=True)
@click.option("--by", default=None, help="Who proposes (default: from git user.email).")
@click.option("--at", default=None, help="When (default: now).")
@click.pass_context
def propose(
    ctx: click.Context, chosen: tuple[str, ...], reason: str, by: str | None, at: str | None
) -> int:
    """Write a destruction list of the closed cases whose retention has ended with `destroy`
    (none under legal hold, none on another list); commit it on a branch for a supervisor."""
    from casetrail.core import destruction, ids, sla
    from casetrail.shell import caseindex, destroying, repo

    where = office(ctx)
    act = where.act(by, at)
    _records_officer(act, "proposing a destruction list")
    index = caseindex.load(where.root, where.config)
    pending = _pending_cases(where)
    today = act.now.date()
    due = destruction.due_for_destruction(index.cases, today, pending)
    if chosen:
        by_id = {c.id: c for c in index.cases}
        picked = []
        for ref in chosen:
            case_id = ids.normalise(ref)
            case = by_id.get(case_id)
            if case is None:
                raise UserError(f"no readable case {ref}")
            if case_id in pending:
                raise UserError(f"{case_id} is already on list {pending[case_id]}")
            why = destruction.why_not_destroyable(case, today)
            if why:
                raise UserError(f"{why}; nothing was written")
            picked.append(case)
        due = sorted(picked, key=lambda c: c.id)
    if not due:
        click.echo(f"no case is due for destruction on {today}; nothing was written")
        return 0
    list_id = destruction.next_list_id(today, destroying.lists_in(where.root))
    value = destruction.DestructionList(
        list_id, act.actor.handle, sla.stamp(act.now), reason.strip() or "retention period ended",
        tuple(destruction.listed(c) for c in due),
    )  # fmt: skip
    rel = destruction.list_path(list_id)
    target = where.root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    repo.create_exclusive(target, destruction.render_list(value).encode())
    click.echo(f"wrote {rel}: {len(due)} case(s) to destroy")
    for case in due:
        click.echo(f"  {case.id}  {case.type}  {case.data['retention']['rule']}")
    click.echo(
        f"next: commit it on a branch (destroy/{list_id}) and ask a supervisor other than you to "
        "approve it by merging with `git merge --no-ff -S`"
    )
    return 0


def _pending_cases(where: Office) -> dict[str, str]:
    """Cases on a list in the work tree that has no certificate yet: case id -> list id."""
    from casetrail.core import destruction
    from casetrail.shell import destroying

    found: dict[str, str] = {}
    for list_id in destroying.lists_in(where.root):
        if (where.root / destruction.certificate_path(list_id)).exists():
            continue
        path = where.root / destruction.list_path(list_id)
        try:
            value = destruction.parse_list(path.read_text(encoding="utf-8"), str(path))
        except (OSError, UnicodeDecodeError, destruction.DestructionError):
            continue
        found.update(dict.fromkeys(value.case_ids, list_id))
    return found


@dataclass
class _Plan:
    """What an execution writes, computed once and kept in the journal for a re-run."""

    executed_by: str
    executed_at: str
    approved_at: str
    tombstones: dict[str, str]  # case id -> tombstone text
    keys: dict[str, str]  # case id -> its per-case recipient, for the cases that have one
    certificate_cases: list[dict[str, Any]]
    key_store_log: str | None = None  # the store's log head after the erasures, once known

    def to_json(self, list_id: str) -> dict[str, Any]:
        return {
            "list": list_id,
            "cases": sorted(self.tombstones),
            "executed_by": self.executed_by,
            "executed_at": self.executed_at,
            "approved_at": self.approved_at,
            "tombstones": self.tombstones,
            "keys": self.keys,
            "certificate_cases": self.certificate_cases,
            "key_store_log": self.key_store_log,
        }


@destroy.command()
@click.argument("list_id", metavar="LIST")
@click.option("--by", default=None, help="Who executes (default: from git user.email).")
@click.option("--at", default=None, help="When (default: now).")
@click.pass_context
def execute(ctx: click.Context, list_id: str, by: str | None, at: str | None) -> int:
    """Destroy the cases of an approved LIST once its cooling-off period has ended: erase their
    per-case keys, remove their documents, replace each file by a tombstone, write the
    certificate and commit. Running it again after an interruption finishes the job."""
    from casetrail.core import destruction, sla
    from casetrail.shell import destroying

    where = office(ctx)
    try:
        destruction.check_list_id(list_id)
    except destruction.DestructionError as error:
        raise UserError(str(error)) from None
    act = where.act(by, at)
    _records_officer(act, "executing a destruction list")
    try:
        journal = destroying.read_journal(where.root, list_id)
        found = destroying.committed_list(where.root, list_id)
    except destroying.DestroyError as error:
        raise UserError(str(error)) from None
    certificate = destruction.certificate_path(list_id)
    if destroying.head_has(where.root, certificate) is not None:
        if journal is not None:  # stopped after its commit: only the journal was left
            destroying.remove_journal(where.root, list_id)
        click.echo(f"{list_id} was executed already: see {certificate}")
        return 0
    on_disk = (where.root / destruction.list_path(list_id)).read_bytes()
    if on_disk != found.text:
        raise UserError(
            f"{destruction.list_path(list_id)} differs from the committed, approved list"
        )
    approval, problems = destroying.approval_of(where.root, found)
    if approval is None:
        raise UserError(
            f"{list_id} is not approved: "
            + (
                "; ".join(problems)
                if problems
                else "no merge brought it to main (a supervisor approves a list by merging its "
                "branch with `git merge --no-ff -S`)"
            )
        )
    days = destruction.cooling_off_days(where.config.policy.raw)
    ends = destruction.cooling_off_ends(approval, days)
    if act.now < ends:
        raise UserError(
            f"{list_id} was approved by {approval.by} at {sla.stamp(approval.at)}; its "
            f"{days}-day cooling-off period ends at {sla.stamp(ends.astimezone(act.now.tzinfo))}"
        )
    _signs_as_executor(where, act)
    plan = _plan(where, found.value, approval, act, journal)
    keyed = dict(plan.keys)
    store = _store_for(where, list_id) if keyed else None
    if store is not None:
        _keys_in_store(store, plan, rerun=journal is not None)
    if journal is not None:  # a first run's plan has just judged every case
        _recheck(where, store, plan, act)
    destroying.write_journal(where.root, list_id, plan.to_json(list_id))  # the intent, first
    if store is not None:
        for case_id in sorted(keyed):
            _erase(store, case_id, act, plan, list_id)
    if plan.key_store_log is None:  # quoted by the certificate: the same on every re-run
        plan.key_store_log = store.log_head() if store is not None else ""
        destroying.write_journal(where.root, list_id, plan.to_json(list_id))
    paths = _write_tree(where, list_id, found.value, plan, approval, days)
    try:
        committed = destroying.commit(
            where.root,
            paths,
            f"Destroy the records of {list_id} ({len(plan.tombstones)} "
            + ("case)" if len(plan.tombstones) == 1 else "cases)"),
            plan.executed_at,
        )
    except Exception as error:  # git's own message; the journal stays for the re-run
        raise UserError(
            f"the keys are erased and the files written, but the commit failed ({error}); fix "
            f"that and run `casetrail destroy execute {list_id}` again to finish"
        ) from None
    destroying.remove_journal(where.root, list_id)
    shredded = sum(1 for c in plan.certificate_cases if c["key"] == destruction.KEY_ERASED)
    click.echo(
        f"destroyed {len(plan.tombstones)} case(s) of {list_id}: {shredded} key(s) erased, "
        f"certificate {certificate}" + ("" if committed else " (already committed)")
    )
    unshredded = [c["id"] for c in plan.certificate_cases if c["key"] != destruction.KEY_ERASED]
    if unshredded:
        click.echo(
            f"warning: {', '.join(unshredded)} had no per-case key: their earlier versions stay "
            "readable in git history to whoever they were encrypted to",
            err=True,
        )
    return 0


def _plan(
    where: Office,
    value: DestructionList,
    approval: Approval,
    act: Act,
    journal: dict[str, Any] | None,
) -> _Plan:
    """Tombstones and certificate entries, from the journal on a re-run (same record), else
    from the cases as they are, refused if any of them may not be destroyed now."""
    from casetrail.core import destruction, sla
    from casetrail.shell import destroying

    if journal is not None:
        return _from_journal(journal, value)
    record = destruction.Record(
        value.id, "", value.proposed_by, value.proposed_at, approval.by,
        sla.stamp(approval.at.astimezone(act.now.tzinfo)), approval.commit,
        act.actor.handle, sla.stamp(act.now),
    )  # fmt: skip
    committed = destroying.head_versions(where.root, [_case_rel(c) for c in value.case_ids])
    cases = [_closed_case(where, case_id, committed) for case_id in value.case_ids]
    refusals = [why for c in cases if (why := destruction.why_not_destroyable(c, act.now.date()))]
    if refusals:
        raise UserError("nothing was destroyed: " + "; ".join(refusals))
    plan = _Plan(act.actor.handle, record.executed_at, record.approved_at, {}, {}, [])
    for case in cases:
        key = case.data.get("case_key")
        kind = destruction.KEY_ERASED if isinstance(key, str) else destruction.NO_CASE_KEY
        if isinstance(key, str):
            plan.keys[case.id] = key
        tomb = destruction.tombstone_for(case, record, kind)
        plan.tombstones[case.id] = destruction.render_tombstone(tomb)
        plan.certificate_cases.append(
            {
                "id": case.id,
                "type": case.type,
                "closed_at": tomb.closed_at,
                "until": tomb.retention_until,
                "key": kind,
                "documents": len(case.entries("attachments")),
            }
        )
    return plan


def _from_journal(journal: dict[str, Any], value: DestructionList) -> _Plan:
    """The plan an interrupted run recorded, refused unless it has the shape this command
    writes and is about this list's cases."""
    from casetrail.core import destruction, formats

    damaged = UserError(
        f"the journal of {value.id} (.git/casetrail/destroying/{value.id}.json) is damaged; "
        "compare `casetrail keys status` with the list before removing it by hand"
    )
    try:
        plan = _Plan(
            str(journal["executed_by"]),
            str(journal["executed_at"]),
            str(journal["approved_at"]),
            {str(k): str(v) for k, v in dict(journal["tombstones"]).items()},
            {str(k): str(v) for k, v in dict(journal["keys"]).items()},
            [dict(c) for c in journal["certificate_cases"]],
            journal.get("key_store_log"),
        )
        entries = {str(c["id"]): (str(c["type"]), str(c["key"]), int(c["documents"]))
                   for c in plan.certificate_cases}  # fmt: skip
    except (KeyError, TypeError, ValueError, AttributeError):
        raise damaged from None
    ids = set(value.case_ids)
    if (
        set(plan.tombstones) != ids
        or set(entries) != ids
        or not set(plan.keys) <= ids
        or not all(formats.is_datetime(t) for t in (plan.executed_at, plan.approved_at))
        or any(
            k not in (destruction.KEY_ERASED, destruction.NO_CASE_KEY)
            for _, k, _ in entries.values()
        )
        or not (plan.key_store_log is None or isinstance(plan.key_store_log, str))
    ):
        raise damaged
    return plan


def _signs_as_executor(where: Office, act: Act) -> None:
    """Keys are erased before the commit that records it: refuse first unless that commit will
    be the executing records officer's own signed commit (the audit would reject any other)."""
    from casetrail.cli.setup_signing import cannot_sign_as

    why = cannot_sign_as(
        where.root, where.config.roster, act.actor, where.config.policy.raw["calendar"]["timezone"]
    )
    if why is not None:
        raise UserError(f"nothing was destroyed: the destruction commit would not be valid: {why}")


def _keys_in_store(store: DirectoryKeyStore, plan: _Plan, rerun: bool) -> None:
    """Each listed case's key is the one its file names; only a re-run may find one gone, and
    only if the store's log says it was erased (not a wrong or empty store folder)."""
    from casetrail.core.keystore import KeyStoreError

    for case_id, key in sorted(plan.keys.items()):
        try:
            held = store.recipient(case_id)
        except KeyStoreError:
            if rerun and store.was_erased(case_id):
                continue
            raise UserError(
                f"key store {store.root} holds no key for {case_id}; is it the office's store? "
                "Nothing was destroyed"
            ) from None
        if held != key:
            raise UserError(
                f"key store {store.root}: the key of {case_id} is not the one its file names; "
                "nothing was destroyed"
            )


def _recheck(where: Office, store: DirectoryKeyStore | None, plan: _Plan, act: Act) -> None:
    """On a re-run, every case not yet destroyed is judged again (a legal hold may have come
    since): only a case whose key is gone, or whose tombstone is written, goes on as planned."""
    from casetrail.core import destruction, document
    from casetrail.shell import destroying

    committed = destroying.head_versions(where.root, [_case_rel(c) for c in plan.tombstones])
    refusals = []
    for case_id in sorted(plan.tombstones):
        rel = _case_rel(case_id)
        parsed, _ = document.parse((where.root / rel).read_bytes())
        if parsed is not None and destruction.is_tombstone(parsed.front_matter):
            continue
        if case_id in plan.keys and store is not None and store.was_erased(case_id):
            continue
        case = _closed_case(where, case_id, committed)
        why = destruction.why_not_destroyable(case, act.now.date())
        if why:
            refusals.append(why)
    if refusals:
        raise UserError("nothing more was destroyed: " + "; ".join(refusals))


def _closed_case(where: Office, case_id: str, committed: dict[str, bytes | None]) -> Case:
    """A listed case as committed (`committed`: HEAD's versions): readable, not edited since."""
    from casetrail.core import destruction, document
    from casetrail.core.case import Case

    rel = _case_rel(case_id)
    try:
        data = (where.root / rel).read_bytes()
    except OSError:
        raise UserError(f"{rel}: the case file is missing; nothing was destroyed") from None
    if committed.get(rel) != data:
        raise UserError(f"{rel} has uncommitted changes; commit or undo them first")
    parsed, _ = document.parse(data)
    if parsed is None or destruction.is_tombstone(parsed.front_matter):
        raise UserError(f"{rel} is not a case that can be destroyed now")
    if not where.config.fast_check(parsed.front_matter):
        raise UserError(f"{rel} does not pass casetrail check; fix it first")
    return Case(parsed.front_matter)


def _store_for(where: Office, list_id: str) -> DirectoryKeyStore:
    from casetrail.shell import casekeys

    try:
        return casekeys.open_store(where.root, f"{list_id} has cases with per-case keys, but ")
    except casekeys.CaseKeyError as error:
        raise UserError(f"{error}; nothing was destroyed") from None


def _erase(store: DirectoryKeyStore, case_id: str, act: Act, plan: _Plan, list_id: str) -> None:
    from casetrail.core.keystore import KeyStoreError

    if store.was_erased(case_id):
        return  # by an earlier, interrupted run (checked against the store's log)
    try:
        store.erase(case_id, act.actor.handle, act.now)
    except KeyStoreError as error:
        raise UserError(
            f"key store {store.root}: {error}; run `casetrail destroy execute {list_id}` again"
        ) from None


def _write_tree(
    where: Office,
    list_id: str,
    value: DestructionList,
    plan: _Plan,
    approval: Approval,
    days: int,
) -> list[str]:
    """Tombstones, document removals and the certificate, each written atomically; the paths
    to commit."""
    from casetrail.core import destruction
    from casetrail.shell import destroying, repo

    paths: list[str] = []
    documents = {c["id"]: int(c["documents"]) for c in plan.certificate_cases}
    for case_id, text in sorted(plan.tombstones.items()):
        rel = _case_rel(case_id)
        destroying.remove_documents(where.root, rel)
        repo.atomic_write(where.root / rel, text.encode())
        paths.append(rel)
        if documents.get(case_id):
            paths.append(rel.removesuffix(".md"))
    record = destruction.Record(
        list_id, "", value.proposed_by, value.proposed_at, approval.by,
        plan.approved_at, approval.commit, plan.executed_by, plan.executed_at,
    )  # fmt: skip
    certificate = destruction.Certificate(
        record,
        days,
        tuple(
            destruction.Destroyed(
                c["id"], c["type"], c["closed_at"], c["until"], c["key"], int(c["documents"])
            )
            for c in plan.certificate_cases
        ),
        plan.key_store_log or "",
    )
    rel = destruction.certificate_path(list_id)
    target = where.root / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.write_bytes(b"")
    repo.atomic_write(target, destruction.render_certificate(certificate).encode())
    return [*paths, rel]


@destroy.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def status(ctx: click.Context, fmt: str) -> int:
    """Every destruction list in the work tree: proposed, approved (and when its cooling-off
    period ends), executed, or interrupted (run execute again)."""
    from casetrail.core import destruction, sla
    from casetrail.shell import destroying

    where = office(ctx)
    stuck = set(destroying.interrupted(where.root).values())
    days = destruction.cooling_off_days(where.config.policy.raw)
    rows = []
    pending: dict[str, destroying.Found] = {}
    for list_id in destroying.lists_in(where.root):
        state, detail = "proposed", "not yet merged by a supervisor"
        if list_id in stuck:
            state, detail = "interrupted", f"run `casetrail destroy execute {list_id}`"
        elif (where.root / destruction.certificate_path(list_id)).exists():
            state, detail = "executed", destruction.certificate_path(list_id)
        else:
            with contextlib.suppress(destroying.DestroyError):  # shown as proposed
                pending[list_id] = destroying.committed_list(where.root, list_id)
        rows.append({"list": list_id, "state": state, "detail": detail})
    judged = dict(
        zip(pending, destroying.approvals(where.root, list(pending.values())), strict=True)
    )
    for row in rows:
        approval = judged.get(row["list"], (None, []))[0]
        if approval is not None:
            ends = destruction.cooling_off_ends(approval, days)
            row["state"] = "approved"
            row["detail"] = (
                f"by {approval.by}; may be executed from {sla.stamp(_local(ends, where))}"
            )
    if fmt == "json":
        click.echo(json.dumps({"lists": rows}, indent=2))
    else:
        if not rows:
            click.echo("no destruction lists")
        for row in rows:
            click.echo(f"{row['list']}  {row['state']}: {row['detail']}")
    return 0


def _local(moment: datetime, where: Office) -> datetime:
    return moment.astimezone(where.calendar.zone)
