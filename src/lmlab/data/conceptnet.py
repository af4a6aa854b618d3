"""ConceptNet 5 readers: the assertions CSV (streamed) and the KagNet relation files.

The assertions file is 5 tab-separated columns: assertion URI `/a/[...]`, relation `/r/Rel`, head
and tail URIs (`/c/<lang>/<term>[/<pos>[/<sense>...]]`, or a URL for `/r/ExternalURL`), and a JSON
object with the `weight`. The full file is 3.4 GB, so it is only ever iterated, never loaded; the
distributed `conceptnet-assertions-5.x.csv.gz` is read as it is, decompressed while streaming
(`lmlab.data.rows.open_binary`). English extraction and the relation merge are the graph stage's
job; this module only parses.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lmlab.data.rows import Skipped, check_rows, iter_lines

N_COLUMNS = 5
PROBE_LINES = 100
"""A file without one well-formed assertion in its first this many lines is not ConceptNet: an
error there and then, instead of after streaming gigabytes of something else."""
_LAYOUT = "5 tab-separated columns: /a/[...] URI, /r/ relation, head URI, tail URI, JSON"


@dataclass(slots=True)
class Assertion:
    """One ConceptNet edge: relation URI (`/r/IsA`), head and tail URIs, and its weight."""

    relation: str
    head: str
    tail: str
    weight: float


def iter_assertions(
    path: str | os.PathLike, skipped: list[Skipped] | None = None, name: str | None = None
) -> Iterator[Assertion]:
    """Stream the assertions of a ConceptNet CSV (plain or gzip), in file order, all languages.

    A row without exactly 5 columns, with a relation that is not `/r/...`, or whose JSON column
    does not parse or has a non-numeric `weight` is skipped and appended to `skipped` (if given)
    as (line number, reason); a missing `weight` is 1.0. A file whose first `PROBE_LINES` lines
    hold no good row is not ConceptNet: `ValueError` naming the file and its first bad line, at
    that point. The bad-data rules run when the iteration is exhausted: more than half of the rows
    malformed, or none good, raises `ValueError` then. Errors name the file as `name` (default:
    `path`).
    """
    skipped = [] if skipped is None else skipped
    name = str(path) if name is None else name
    first_skip = len(skipped)
    n_good = 0
    for number, line in iter_lines(path, skipped):
        fields = line.split("\t")
        reason = _problem(fields)
        if reason is None:
            try:
                meta = json.loads(fields[4])
            except json.JSONDecodeError as err:
                reason = f"bad JSON ({err.msg})"
            else:
                weight = meta.get("weight", 1.0) if isinstance(meta, dict) else None
                if isinstance(weight, int | float) and not isinstance(weight, bool):
                    n_good += 1
                    yield Assertion(fields[1], fields[2], fields[3], float(weight))
                    continue
                reason = "JSON column is not an object with a numeric 'weight'"
        skipped.append((number, reason))
        if n_good == 0 and number >= PROBE_LINES:
            line_1, reason_1 = skipped[first_skip]
            raise ValueError(
                f"{name}: not a ConceptNet assertions file: no good row in lines 1-{number} "
                f"(line {line_1}: {reason_1}; expected {_LAYOUT})"
            )
    check_rows(name, n_good, skipped[first_skip:])


def _problem(fields: list[str]) -> str | None:
    if len(fields) != N_COLUMNS:
        return f"{len(fields)} columns, expected {N_COLUMNS}"
    if not fields[1].startswith("/r/"):
        return f"relation {fields[1][:40]!r} is not a /r/ URI"
    return None


def language_of(uri: str) -> str | None:
    """The language code of a concept URI (`/c/en/test` -> `en`); None for other URIs (URLs)."""
    parts = uri.split("/")
    if len(parts) > 3 and parts[1] == "c" and parts[2]:
        return parts[2]
    return None


def term_of(uri: str) -> str | None:
    """The term of an English concept URI, None for any other URI.

    The term is the segment right after the language (index 3 of `uri.split("/")`), whatever
    part-of-speech and sense segments follow: `/c/en/test/n/wikt/en_1` -> `test`. QA-GNN's
    extraction takes the *last* segment instead, which turns `/c/en/test/n/wn/act` into the
    unrelated concept `act` and `/c/en/test/n/wikt/en_1` into `en_1`; that is a known bug this
    function deliberately does not reproduce.
    """
    parts = uri.split("/")
    if len(parts) > 3 and parts[1] == "c" and parts[2] == "en" and parts[3]:
        return parts[3]
    return None


def read_relation_merge(path: str | os.PathLike) -> dict[str, tuple[str, bool]]:
    """Read KagNet's `merge_relation.txt`: one group per line, relations joined by `/`.

    Returns relation -> (group name, reversed). The group is named after its first relation;
    a relation written `*rel` is reversed when merged (its head and tail swap), e.g.
    `partof/*hasa` maps `hasa` to `("partof", True)`. Names are lower-case, as in the file
    (`/r/HasA` is `hasa`). A repeated relation or an empty or reversed group name is an error.
    """
    merge: dict[str, tuple[str, bool]] = {}
    for number, line in _lines(path):
        members = line.split("/")
        group = members[0]
        if not all(m.removeprefix("*") for m in members) or group.startswith("*"):
            raise ValueError(f"{path}: line {number}: bad group {line!r}")
        for member in members:
            relation = member.removeprefix("*").lower()
            if relation in merge:
                raise ValueError(f"{path}: line {number}: relation {relation!r} listed twice")
            merge[relation] = (group.lower(), member.startswith("*"))
    if not merge:
        raise ValueError(f"{path}: no relation groups")
    return merge


def read_relation_list(path: str | os.PathLike) -> list[str]:
    """Read KagNet's `relation.txt`: the merged relation names, one per line, in id order."""
    relations = [line.lower() for _, line in _lines(path)]
    if not relations:
        raise ValueError(f"{path}: no relations")
    if len(set(relations)) != len(relations):
        raise ValueError(f"{path}: a relation is listed twice")
    return relations


def _lines(path: str | os.PathLike) -> list[tuple[int, str]]:
    """The (line number, stripped text) of the non-blank lines of a small text file."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [(number, line.strip()) for number, line in enumerate(lines, start=1) if line.strip()]
