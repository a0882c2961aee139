"""Dated entries are in chronological order and never precede the case's receipt."""

from collections.abc import Iterator

from casetrail.core.case import CHRONOLOGICAL
from casetrail.core.diagnostics import Finding
from casetrail.core.formats import parse_date, parse_datetime
from casetrail.core.rules.base import CaseContext
from casetrail.core.rules.registry import case_rule


def _key(value: str) -> float:
    if "T" in value:
        return parse_datetime(value).timestamp()
    return parse_datetime(value + "T00:00:00+00:00").timestamp()


@case_rule("CT310", "chronological-order", "A list of dated entries is not in chronological order.")
def ordered(ctx: CaseContext) -> Iterator[Finding]:
    for group, field in CHRONOLOGICAL.items():
        previous: float | None = None
        for index, entry in enumerate(ctx.case.entries(group)):
            current = _key(entry[field])
            if previous is not None and current < previous:
                yield Finding(
                    "CT310",
                    f"{group}[{index}] ({entry[field]}) is dated before the entry above it",
                    at=(group, index, field),
                    hint="entries are kept oldest first; move it up or fix its date",
                )
            previous = current


@case_rule("CT311", "before-receipt", "A recorded time is earlier than the case was received.")
def after_receipt(ctx: CaseContext) -> Iterator[Finding]:
    received = parse_datetime(ctx.case.data["received_at"])
    if ctx.case.registered_at < received:
        yield Finding("CT311", "registered_at is earlier than received_at", at=("registered_at",))
    for group, field in CHRONOLOGICAL.items():
        if group == "attachments":  # a document may well be older than the case
            continue
        for index, entry in enumerate(ctx.case.entries(group)):
            value = entry[field]
            moment = parse_datetime(value) if "T" in value else None
            if moment is not None and moment < received:
                yield Finding(
                    "CT311",
                    f"{group}[{index}] ({value}) is earlier than the case was "
                    f"received ({ctx.case.data['received_at']})",
                    at=(group, index, field),
                )
            elif moment is None and parse_date(value) < received.date():
                yield Finding(
                    "CT311",
                    f"{group}[{index}] ({value}) is earlier than the case was received",
                    at=(group, index, field),
                )
