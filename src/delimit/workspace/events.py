"""The append-only event log: each event chained to the previous one by SHA-256.

An event's ``content_hash`` is the SHA-256 of its canonical JSON payload; its ``hash`` is the SHA-256
of the canonical JSON array ``[seq, at, actor, team, kind, object_type, object_id, visibility,
content_hash, prev_hash]``; ``prev_hash`` is the previous event's ``hash`` (64 zeros for the first).
:func:`verify_events` recomputes every link and names the first event that does not hold; altering
any stored field, removing, inserting or reordering events breaks the chain at that event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from delimit.workspace.models import ChainHead, Event

GENESIS = "0" * 64

#: Fields of an event, in the order they are hashed and exported.
EVENT_FIELDS = (
    "seq",
    "at",
    "actor",
    "team",
    "kind",
    "object_type",
    "object_id",
    "visibility",
    "payload",
    "content_hash",
    "prev_hash",
    "hash",
)


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys, no spaces, UTF-8 kept: the same text for the same value, always."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def utc_now() -> str:
    """The current UTC time as ISO 8601 text with microseconds and a 'Z'."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(e: dict[str, Any]) -> str:
    """The chain hash of an event given as a mapping of :data:`EVENT_FIELDS`."""
    head = [
        e["seq"],
        e["at"],
        e["actor"],
        e["team"],
        e["kind"],
        e["object_type"],
        e["object_id"],
        e["visibility"],
        e["content_hash"],
        e["prev_hash"],
    ]
    return sha256_text(canonical_json(head))


def append_event(
    s: Session,
    *,
    actor: str,
    team: str,
    kind: str,
    object_type: str,
    object_id: str,
    visibility: str,
    payload: dict[str, Any],
) -> Event:
    """Append one event inside the caller's write transaction (locks the chain head until commit)."""
    head = s.execute(select(ChainHead).where(ChainHead.id == 1).with_for_update()).scalar_one_or_none()
    if head is None:
        head = ChainHead(id=1, seq=0, hash=GENESIS)
        s.add(head)
    text = canonical_json(payload)
    row = {
        "seq": head.seq + 1,
        "at": utc_now(),
        "actor": actor,
        "team": team,
        "kind": kind,
        "object_type": object_type,
        "object_id": object_id,
        "visibility": visibility,
        "payload": text,
        "content_hash": sha256_text(text),
        "prev_hash": head.hash,
    }
    row["hash"] = event_hash(row)
    ev = Event(**row)
    s.add(ev)
    head.seq, head.hash = ev.seq, ev.hash
    s.flush()
    return ev


def event_dict(e: Event) -> dict[str, Any]:
    return {f: getattr(e, f) for f in EVENT_FIELDS}


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a chain: ``ok``, events checked, the head hash, and the first fault."""

    ok: bool
    count: int
    head: str
    broken_seq: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"chain intact: {self.count} events, head {self.head}"
        return f"event {self.broken_seq}: {self.reason}"


def verify_events(events: Iterable[dict[str, Any]], head: tuple[int, str] | None = None) -> Verification:
    """Check a chain given in sequence order; ``head`` (seq, hash) is the recorded end of the chain.

    The recorded head catches a log whose newest events were removed.
    """
    prev, count = GENESIS, 0
    for e in events:
        count += 1
        seq = e.get("seq")
        if seq != count:
            return Verification(
                False,
                count - 1,
                prev,
                seq if isinstance(seq, int) else count,
                f"sequence number {seq!r} where {count} was expected (event missing, inserted or reordered)",
            )
        if e.get("prev_hash") != prev:
            return Verification(False, count - 1, prev, seq, "prev_hash does not match the previous event's hash")
        payload = e.get("payload")
        if not isinstance(payload, str) or sha256_text(payload) != e.get("content_hash"):
            return Verification(False, count - 1, prev, seq, "content_hash does not match the payload")
        try:
            json.loads(payload)
        except ValueError:
            return Verification(False, count - 1, prev, seq, "payload is not JSON")
        if event_hash(e) != e.get("hash"):
            return Verification(False, count - 1, prev, seq, "hash does not match the event's fields")
        prev = e["hash"]
    if head is not None and head != (count, prev):
        return Verification(
            False,
            count,
            prev,
            head[0] if head[0] > count else count,
            f"the recorded chain head (event {head[0]}, {head[1][:12]}...) is not the last event found (event {count}): events were removed or the head altered",
        )
    return Verification(True, count, prev)


def stored_events(s: Session, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every stored event as a mapping, in sequence order, read in batches."""
    last = 0
    while True:
        rows = s.execute(select(Event).where(Event.seq > last).order_by(Event.seq).limit(batch)).scalars().all()
        if not rows:
            return
        for r in rows:
            yield event_dict(r)
        last = rows[-1].seq


def verify_store(s: Session) -> Verification:
    """Verify the chain stored in a workspace database against its recorded head."""
    head_row = s.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one_or_none()
    head = (head_row.seq, head_row.hash) if head_row is not None else (0, GENESIS)
    return verify_events(stored_events(s), head)
