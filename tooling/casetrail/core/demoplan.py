"""The demo office's story: about sixty cases over three months of simulated office life, as a
list of dated steps, each one person running casetrail commands and committing the change.

Pure: one seeded random.Random makes every choice that can be made ahead (when things happen,
types, priorities, what is said); what depends on the office's state at that moment (whom
`suggest` ranks first, who handles a case now) is a placeholder the runner fills in by asking
casetrail. The same seed gives the same story, so the demo is the same on every run. Every text
is fictional and non-identifying; names and contacts go only into encrypted sections.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Europe/Berlin")
OPENED = datetime(2024, 1, 2, 9, 0, tzinfo=ZONE)  # the office's first commit; roster dates too
START = date(2026, 8, 24)  # the three months shown in detail: a Monday...
END = date(2026, 11, 20)  # ...to a Friday, 17:00
AS_OF = datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)  # the Monday morning the figures are for
CASES = 60
SEED = 20261123
ARCHIVED = (date(2024, 2, 12), date(2024, 3, 18), date(2024, 4, 22))  # inquiries, kept 2 years
# Their retention ended in 2026: the records office proposes to destroy them, a supervisor
# approves by merging, and after the 7-day cooling-off period the records office executes.
DESTRUCTION = (
    datetime(2026, 11, 9, 10, 0, tzinfo=ZONE),  # proposed
    datetime(2026, 11, 9, 14, 30, tzinfo=ZONE),  # approved (merged)
    datetime(2026, 11, 18, 10, 0, tzinfo=ZONE),  # executed
)
DESTRUCTION_LIST = "DL-2026-11-09-1"

# Placeholders the runner resolves when the step runs.
ID = "{id}"  # the case's id (known once `new` ran)
HANDLER = "{handler}"  # the case's handler at that moment
SUGGESTED = "{suggested}"  # the top eligible handler `casetrail suggest` ranks for the case
OFFICER = "{officer}"  # the top eligible resolution officer who is not the handler
DOCUMENT = "{document}"  # a fictional letter, written outside the records for `attach`

SUPERVISOR = {"complaint": "fweber", "incident": "fweber", "inquiry": "gharris", "issue": "gharris"}
INTAKE, RECORDS = "amartin", "hlindqvist"
LEAVE = ("cnguyen", date(2026, 10, 12), date(2026, 10, 23), "parental leave")
# Case numbers with a script of their own (each is one of the first dozen cases of the story).
FLAGGED, ESCALATED, REPRIORITISED, DISCLOSED, RETURNED, REOPENED = 3, 8, 11, 9, 5, 2


@dataclass(frozen=True, slots=True)
class Command:
    args: tuple[str, ...]  # a casetrail command line, placeholders included
    stdin: str = ""  # what the command reads (section text), fictional
    key: str = ""  # whose demo age key it runs with ("" for none; HANDLER allowed)


@dataclass(frozen=True, slots=True)
class Step:
    at: datetime
    actor: str  # who commits (a handle, or HANDLER)
    message: str  # the commit message (placeholders allowed)
    commands: tuple[Command, ...] = ()
    case: int | None = None  # the story's case number
    kind: str = "commit"  # commit; closure (close on a branch); merge (the supervisor's); leave;
    # reassign; propose, approve, execute (a destruction list)
    approver: str = ""  # closure and merge: the supervisor who approves by merging


@dataclass
class Story:
    number: int
    kind: str
    priority: str
    title: str
    received: datetime
    supervisor: str
    steps: list[Step] = field(default_factory=list)


def _pick(rng: random.Random, weighted: list[tuple[str, float]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def later(moment: datetime, hours: float) -> datetime:
    """`hours` of office time (09:00-17:00, Monday to Friday) after `moment`, on a 5-minute mark."""
    left = timedelta(minutes=round(hours * 60 / 5) * 5)
    current = moment
    while True:
        if current.weekday() >= 5 or current.time() >= time(17):
            current = datetime.combine(current.date() + timedelta(days=1), time(9), ZONE)
            continue
        if current.time() < time(9):
            current = datetime.combine(current.date(), time(9), ZONE)
        close = datetime.combine(current.date(), time(17), ZONE)
        if current + left <= close:
            return current + left
        left -= close - current
        current = close


def _office_time(day: date, rng: random.Random, first: int, last: int) -> datetime:
    minutes = rng.randrange(first * 60, last * 60, 5)
    return datetime.combine(day, time(minutes // 60, minutes % 60), ZONE)


def plan(seed: int = SEED, cases: int = CASES) -> list[Step]:
    """Every step of the demo office, in the order it happens."""
    rng = random.Random(seed)
    final = datetime.combine(END, time(17), ZONE)
    days = [START + timedelta(d) for d in range((END - START).days - 2) if (START + timedelta(d)).weekday() < 5]  # fmt: skip
    steps: list[Step] = []
    for offset, day in enumerate(ARCHIVED):
        story = Story(cases + offset, "inquiry", "low", rng.choice(TITLES["inquiry"]),
                      _office_time(day, rng, 9, 12), "gharris")  # fmt: skip
        steps += _case(story, rng, datetime.combine(day + timedelta(21), time(17), ZONE), 3.0)
    for number in range(cases):
        kind, priority = _pick(rng, TYPES), _pick(rng, PRIORITIES)
        day = days[int(len(days) * number / cases)]
        story = Story(number, kind, priority, rng.choice(TITLES[kind]),
                      _office_time(day, rng, 8, 16), SUPERVISOR[kind])  # fmt: skip
        effort = 3.0 if number in (REOPENED, RETURNED) else None
        steps += _case(story, rng, final, effort)
    steps += _leave()
    steps += _destruction()
    ordered = sorted(enumerate(steps), key=lambda p: (p[1].at, p[0]))
    return [step for _, step in ordered]


def _leave() -> list[Step]:
    who, first, last, reason = LEAVE
    notice = datetime.combine(first - timedelta(days=7), time(9, 30), ZONE)
    return [
        Step(notice, RECORDS, f"Roster: {who} away {first} to {last} ({reason})", kind="leave"),
        Step(later(notice, 4), "fweber", f"Reassign the open cases of {who}", kind="reassign"),
    ]


def _destruction() -> list[Step]:
    proposed, approved, executed = DESTRUCTION
    listed = DESTRUCTION_LIST
    return [
        Step(proposed, RECORDS, f"Propose destruction list {listed}", kind="propose"),
        Step(approved, "gharris", f"Approve destruction list {listed}", kind="approve"),
        Step(executed, RECORDS, f"Execute destruction list {listed}", kind="execute"),
    ]


def _case(story: Story, rng: random.Random, final: datetime, effort: float | None) -> list[Step]:
    steps = list(_intake(story, rng))
    start = steps[-1].at
    steps += _work(story, rng, start, final, effort)
    kept = [s for s in steps if s.at < final]
    # A closure is made and merged together, or not at all (no approval left pending).
    merged = {(s.case, s.at) for s in kept if s.kind == "merge"}
    return [s for s in kept if s.kind != "closure" or (s.case, _merge_time(s)) in merged]


def _intake(story: Story, rng: random.Random) -> Iterator[Step]:
    """Receipt to first contact: registration, assessment, verification, assignment with its
    rationale, acknowledgement; times drawn so some targets are missed."""
    n, sup = story.number, story.supervisor
    at = story.received + timedelta(minutes=rng.choice([10, 20, 35, 50]))
    channel = rng.choice(CHANNELS)
    yield Step(at, INTAKE, f"Register {ID}", (Command((
        "new", "--by", INTAKE, "--type", story.kind, "--priority", story.priority,
        "--title", story.title, "--channel", channel, "--received-at",
        story.received.isoformat(), "--reason", "set at intake from the first description")),), n)  # fmt: skip
    if n == FLAGGED:
        yield Step(at + timedelta(minutes=5), INTAKE, f"Flag {ID} as urgent", (Command((
            "flag", ID, "--by", INTAKE, "--to", sup, "--reason",
            "the stakeholder reports an imminent deadline")),), n)  # fmt: skip
    at = later(at, rng.uniform(9, 14) if rng.random() < 0.12 else rng.uniform(0.3, 5))
    yield Step(at, INTAKE, f"Assess {ID}", (Command(
        ("assess", ID, "--by", INTAKE, "--notes", "intake form complete")),), n)  # fmt: skip
    if rng.random() < 0.7:
        at = later(at, rng.uniform(0.2, 3))
        yield Step(
            at, sup, f"Verify the intake of {ID}", (Command(("verify", ID, "--by", sup)),), n
        )
    hours = {"high": (0.5, 3.5), "medium": (1, 7), "low": (2, 14)}[story.priority]
    at = later(at, rng.uniform(*hours) * (2.5 if rng.random() < 0.1 else 1))
    assign = ["assign", ID, "--by", sup, "--approved-by", sup, "--handler", SUGGESTED,
              "--rationale", "expertise matches and the most free capacity"]  # fmt: skip
    officer = story.kind in ("incident", "complaint") and rng.random() < 0.25
    if officer:
        assign += ["--resolution-officer", OFFICER]
    yield Step(at, sup, f"Assign {ID}", (Command(tuple(assign), key=sup),), n)
    if n == FLAGGED:
        yield Step(later(at, 1), sup, f"Resolve the urgent flag of {ID}", (Command((
            "resolve-flag", ID, "1", "--by", sup, "--resolution",
            "handled first; the other office extended its deadline")),), n)  # fmt: skip
    at = later(at, rng.uniform(0.2, 6) if rng.random() < 0.85 else rng.uniform(9, 20))
    yield Step(at, HANDLER, f"Acknowledge {ID}", (Command(("ack", ID, "--by", HANDLER)),), n)
    if officer:
        yield Step(at + timedelta(minutes=20), OFFICER, f"The resolution officer acknowledges {ID}",
                   (Command(("ack", ID, "--by", OFFICER)),), n)  # fmt: skip
    role = {"complaint": "complainant", "inquiry": "client", "issue": "reporter",
            "incident": "affected_party"}[story.kind]  # fmt: skip
    at = later(at, rng.uniform(0.5, 4))
    parties = f"S1: {rng.choice(FIRST)} {rng.choice(LAST)} (fictional), reachable by {channel}.\n"
    yield Step(at, HANDLER, f"First contact on {ID}", (
        Command(("stakeholder", "add", ID, "--by", HANDLER, "--role", role)),
        Command(("contact", ID, "--by", HANDLER, "--stakeholder", "S1", "--channel", channel,
                 "--summary", "acknowledged receipt and explained the next steps")),
        Command(("section", "set", ID, "Parties"), stdin=parties, key=HANDLER),
    ), n)  # fmt: skip


def _work(
    story: Story, rng: random.Random, start: datetime, final: datetime, effort: float | None
) -> Iterator[Step]:
    """Follow-ups, contacts, weekly reviews, the rarer steps, and closure if the work is done
    before the three months end."""
    n, sup = story.number, story.supervisor
    hours = effort or {"high": 12, "medium": 40, "low": 64}[story.priority] * rng.uniform(0.5, 2.5)
    if final - start < timedelta(days=28) and effort is None:
        hours *= 3  # the last weeks' cases: most of them are still being worked on
    done = later(start, hours)
    tasks = rng.randint(1, 3)
    at = start
    for task in range(1, tasks + 1):
        at = later(at, rng.uniform(0.5, 3))
        due = later(at, rng.uniform(4, 30)).date()
        yield Step(at, HANDLER, f"Follow-up F{task} for {ID}", (Command((
            "followup", "add", ID, "--by", HANDLER, "--owner", HANDLER, "--due", due.isoformat(),
            "--title", rng.choice(FOLLOWUPS[story.kind]))),), n)  # fmt: skip
    if rng.random() < 0.3 or n == DISCLOSED:
        filed = later(start, rng.uniform(1, 6))
        at = max(at, filed)
        yield Step(filed, HANDLER, f"Document for {ID}", (Command((
            "attach", ID, DOCUMENT, "--by", HANDLER, "--kind", "correspondence",
            "--date", filed.date().isoformat(), "--name", "letter"), key=HANDLER),), n)  # fmt: skip
    if n == DISCLOSED:
        yield Step(later(start, 7), HANDLER, f"Disclosure on {ID}", (Command((
            "disclose", ID, "--by", HANDLER, "--recipient", "partner agency", "--basis", "consent",
            "--reference", "consent form of S1",
            "--summary", "case reference and the outcome requested")),), n)  # fmt: skip
    if n == REPRIORITISED:
        yield Step(later(start, 2), sup, f"Reassess the priority of {ID}", (Command((
            "priority", ID, "high", "--by", sup, "--reason",
            "a second report of the same kind came in")),), n)  # fmt: skip
        done = later(start, 8)
    if n == ESCALATED:
        at = later(start, 24)
        yield Step(at, HANDLER, f"Escalate {ID}", (Command((
            "escalate", ID, "--by", HANDLER, "--to", sup, "--reason",
            "the partner agency has not answered for a week")),), n)  # fmt: skip
        yield Step(later(at, 9), sup, f"Resolve the escalation of {ID}", (Command((
            "resolve-flag", ID, "1", "--by", sup, "--resolution",
            "called the agency's head of unit; answer promised")),), n)  # fmt: skip
        done = max(done, later(at, 20))
    done = max(done, later(at, 1))  # after every follow-up, document and disclosure above
    if n == DISCLOSED:
        done = max(done, later(start, 8))
    yield from _reviews(n, rng, start, min(done, final))
    if done >= final:
        return  # still open at the end: its follow-ups due or overdue
    yield from _close(story, rng, done, tasks, final)


def _reviews(n: int, rng: random.Random, start: datetime, until: datetime) -> Iterator[Step]:
    review, notes = start, 1
    while True:
        review = (review + timedelta(days=rng.choice([5, 6, 6, 7, 7, 7, 8]))).replace(
            hour=rng.choice([9, 10, 11, 14, 15]), minute=rng.choice([0, 15, 30, 45])
        )
        if review.weekday() >= 5:
            review += timedelta(days=7 - review.weekday())
        if review >= until:
            return
        text = "".join(f"{i}. Fictional progress note.\n" for i in range(1, notes + 1))
        yield Step(review, HANDLER, f"Weekly review of {ID}", (
            Command(("review", ID, "--by", HANDLER, "--summary", rng.choice(REVIEWS))),
            Command(("section", "set", ID, "Progress notes"), stdin=text, key=HANDLER),
        ), n)  # fmt: skip
        notes += 1


def _close(
    story: Story, rng: random.Random, done: datetime, tasks: int, final: datetime
) -> Iterator[Step]:
    n, sup = story.number, story.supervisor
    for task in range(1, tasks + 1):
        yield Step(done - timedelta(minutes=5 * (tasks - task + 1)), HANDLER,
                   f"Follow-up F{task} of {ID} done", (Command((
            "followup", "done", ID, f"F{task}", "--by", HANDLER,
            "--outcome", "done as agreed")),), n)  # fmt: skip
    outcome = _pick(rng, OUTCOMES)
    request = Command(("request-closure", ID, "--by", HANDLER, "--outcome", outcome,
                       "--summary", SUMMARIES[outcome], "--lessons", rng.choice(LESSONS)))  # fmt: skip
    agreed = Command(("stakeholder", "closure", ID, "S1", "--by", HANDLER, "--agreement", "agreed"))
    yield Step(done, HANDLER, f"Request closure of {ID}", (agreed, request), n)
    if n == RETURNED:
        back = later(done, 1)
        yield Step(back, sup, f"Return the closure request of {ID}", (Command((
            "return-closure", ID, "--by", sup, "--reason",
            "the stakeholder's agreement is not on file in writing")),), n)  # fmt: skip
        done = later(back, 10)
        yield Step(done, HANDLER, f"Request closure of {ID} again", (agreed, request), n)
    closing = later(done, rng.uniform(1, 9))
    yield from _closure(closing, n, sup)
    if n == REOPENED:
        back = datetime.combine(closing.date() + timedelta(days=10), time(9, 30), ZONE)
        back = later(back, 0)
        yield Step(back, sup, f"Reopen {ID}", (Command((
            "reopen", ID, "--by", sup, "--reason", "the stakeholder reports the problem is back"),
            key=sup),), n)  # fmt: skip
        again = later(back, 12)
        yield Step(again, HANDLER, f"Request closure of {ID} again", (agreed, Command((
            "request-closure", ID, "--by", HANDLER, "--outcome", "resolved", "--summary",
            "repaired again and checked after a week", "--lessons",
            "check a repair a week after it is done")),), n)  # fmt: skip
        yield from _closure(later(again, 3), n, sup)


def _closure(at: datetime, n: int, supervisor: str) -> Iterator[Step]:
    """The records office closes on close/<id>; the supervisor approves by a signed merge."""
    closing = Step(at, RECORDS, f"Close {ID}", kind="closure", case=n, approver=supervisor)
    yield closing
    yield Step(_merge_time(closing), supervisor, f"Approve the closure of {ID}",
               kind="merge", case=n, approver=supervisor)  # fmt: skip


def _merge_time(closing: Step) -> datetime:
    """When the supervisor merges: 10 to 50 office minutes after the closing, by case."""
    return later(closing.at, (10 + 10 * ((closing.case or 0) % 5)) / 60)


TITLES = {
    "complaint": [
        "Duplicate charge on a parking permit renewal",
        "No reply to a written objection within the promised time",
        "Unfriendly treatment at the service counter",
        "Refund for a cancelled course not paid",
        "Repeated night-time noise from a municipal depot",
        "Waste collection missed three weeks running",
        "Official letter sent to an old address",
        "Fee charged twice for one certificate",
    ],
    "inquiry": [
        "Copy of a registration record requested",
        "Eligibility for the reduced public transport fare",
        "Status of a building permit application",
        "How to appeal a school place decision",
        "Opening hours of the records reading room",
        "Documents needed for a residence certificate",
    ],
    "issue": [
        "Broken ramp at a service centre entrance",
        "Queue display shows wrong waiting times",
        "Online form rejects valid postcodes",
        "Leaking roof in the archive annex",
        "Street light out on a school route",
    ],
    "incident": [
        "Visitor slipped on a wet floor at a service centre",
        "Letter sent to the wrong recipient",
        "Threatening phone call to counter staff",
        "Water damage to stored paper files",
    ],
}
TYPES = [("complaint", 0.4), ("inquiry", 0.25), ("issue", 0.2), ("incident", 0.15)]
PRIORITIES = [("high", 0.2), ("medium", 0.5), ("low", 0.3)]
CHANNELS = ["email", "phone", "letter", "web_form", "in_person"]
OUTCOMES = [("resolved", 0.6), ("partly_resolved", 0.15), ("not_upheld", 0.1),
            ("withdrawn", 0.05), ("referred", 0.1)]  # fmt: skip
SUMMARIES = {
    "resolved": "Resolved as agreed with the stakeholder",
    "partly_resolved": "Partly upheld; the rest explained in the reply",
    "not_upheld": "Not upheld after review of the records",
    "withdrawn": "Withdrawn by the stakeholder",
    "referred": "Referred to the responsible authority",
}
FIRST = ["Alex", "Sam", "Robin", "Kim", "Jule", "Noah", "Mila", "Ezra", "Lena", "Jonas"]
LAST = ["Example", "Sample", "Muster", "Beispiel", "Placeholder", "Fictional"]
FOLLOWUPS = {
    "complaint": ["Ask the service team for their account", "Check the billing record",
                  "Draft the reply to the complainant", "Agree a remedy with the team lead"],
    "inquiry": ["Find the record in the archive", "Confirm eligibility with the benefits team",
                "Send the requested copy"],
    "issue": ["Order the repair", "Check the fix on site", "Tell the reporter it is fixed"],
    "incident": ["Collect the incident report", "Inform the insurer",
                 "Check the other sites for the same risk"],
}  # fmt: skip
REVIEWS = ["On track; waiting for the team's answer", "Progress as planned",
           "Waiting for a document from the client", "Remedy agreed; preparing the reply"]  # fmt: skip
LESSONS = ["Log incoming letters on the day they arrive", "Check fee postings for duplicates",
           "Publish the eligibility rules on the website", "Agree repair deadlines in contracts",
           "Brief counter staff on the escalation path"]  # fmt: skip
