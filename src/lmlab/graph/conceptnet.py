"""English ConceptNet as an integer graph: vocabularies, merged relations, pruned edges (SPEC §5.1).

Extraction follows the ConceptNet preprocessing of KagNet (Lin et al., EMNLP 2019), reused by
MHGRN (Feng et al., EMNLP 2020), QA-GNN (Yasunaga et al., NAACL 2021) and QAT:

- keep an assertion when its head and tail are English concepts (`/c/en/...`), its relation is
  in the 17-group merge of `resources/merge_relation.txt`, and both terms consist of letters once
  `_` and `-` are removed (QA-GNN's `isalpha` filter; it drops numbers and symbols such as
  `/c/en/3d` or `/c/en/+`);
- the concept is the *term* segment of the URI (`lmlab.data.conceptnet.term_of`, index 3), so
  `/c/en/test/n/wikt/en_1` is `test`; QA-GNN takes the last segment instead (`en_1`, or `act`
  for `/c/en/test/n/wn/act`), a known bug this module does not reproduce;
- a relation written `*rel` in the merge is reversed: `hasa(x, y)` becomes `partof(y, x)`;
- the concept vocabulary is every extracted head and tail in first-seen order (head before tail,
  after the reversal, in file order): the order QA-GNN writes `concept.txt` in, so ids agree with
  theirs for the same input up to the term bug. Pruned concepts stay in the vocabulary;
- the pruned graph (QA-GNN `construct_graph(prune=True)`) drops, in this order, `hascontext`
  edges, edges touching a blacklisted concept ({uk, us, take, make, object, person, people} by
  default), self-loops, and repeated (head, rel, tail) triples (the first one's weight is kept).
  Edges are stored once, forward only, sorted by (rel, head, tail); consumers add inverses.

Outputs of `extract` in one directory: `concepts.txt` (id = line index), `relations.txt` (the 17
merged relations in `relation.txt` order), `graph.npz` (int32 `head`, `rel`, `tail`, float32
`weight`, scalar `num_concepts`) and `extract_stats.json` (row counts and pruning counts).

The assertions file (34M rows, several GB for ConceptNet 5.6) is streamed with
`lmlab.data.conceptnet.iter_assertions`, the only parser of its format. With `workers > 1` the
file is cut into that many byte ranges at line starts; each worker streams its range through
`iter_assertions` (fed through a pipe) and integer-codes its terms into a local vocabulary, and
the ranges are merged in file order, so the result does not depend on the number of workers.
A gzip file (the distributed `.csv.gz`) cannot be cut into byte ranges: one process streams it,
decompressing on the fly; decompress it first to use several workers. Memory is bounded by the
output (vocabulary and edge arrays), not by the input file.
"""

from __future__ import annotations

import logging
import os
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from lmlab.data.conceptnet import (
    Assertion,
    iter_assertions,
    read_relation_list,
    read_relation_merge,
    term_of,
)
from lmlab.data.rows import Skipped, is_gzip
from lmlab.paths import CpnetFiles
from lmlab.runtime.atomic import atomic_path, write_json, write_text
from lmlab.runtime.logs import progress

log = logging.getLogger(__name__)

BLACKLIST = ("uk", "us", "take", "make", "object", "person", "people")
"""Concepts whose edges the pruned graph drops (QA-GNN `construct_graph`)."""
PRUNED_RELATIONS = ("hascontext",)
"""Merged relations whose edges the pruned graph drops."""

_RANGE_MIN_BYTES = 32 << 20  # a byte range smaller than this is not worth a worker
_PIPE_CHUNK = 1 << 20


def merge_relation_path() -> Path:
    """The packaged KagNet `merge_relation.txt` (17 groups, `*` = reversed)."""
    return Path(str(resources.files("lmlab.graph") / "resources" / "merge_relation.txt"))


def relation_list_path() -> Path:
    """The packaged KagNet `relation.txt` (the 17 merged relations in id order)."""
    return Path(str(resources.files("lmlab.graph") / "resources" / "relation.txt"))


@dataclass
class ConceptGraph:
    """The pruned English ConceptNet: vocabularies and forward edges as parallel int32 arrays.

    `concepts[i]` is the concept with id i (underscore-joined lemma terms, e.g. `ice_cream`),
    `relations[r]` the merged relation with id r; edge k is `relations[rel[k]](concepts[head[k]],
    concepts[tail[k]])` with ConceptNet weight `weight[k]`, sorted by (rel, head, tail).
    """

    concepts: list[str]
    relations: list[str]
    head: np.ndarray
    rel: np.ndarray
    tail: np.ndarray
    weight: np.ndarray
    num_concepts: int
    concept2id: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.concept2id = {concept: i for i, concept in enumerate(self.concepts)}

    @property
    def relation2id(self) -> dict[str, int]:
        return {relation: r for r, relation in enumerate(self.relations)}

    @property
    def num_edges(self) -> int:
        return len(self.head)


def cpnet_files(location: CpnetFiles | str | os.PathLike) -> CpnetFiles:
    """Named files as given, or those of an extraction directory (`lmlab.paths.CpnetFiles`)."""
    return location if isinstance(location, CpnetFiles) else CpnetFiles.under(location)


def load_graph(location: CpnetFiles | str | os.PathLike) -> ConceptGraph:
    """Read what `extract` wrote (`concepts`, `relations`, `graph` of `CpnetFiles`, or the
    files of an extraction directory).

    Raises `FileNotFoundError` for a missing file and `ValueError` naming the file when the
    arrays disagree with each other or with the vocabularies.
    """
    files = cpnet_files(location)
    concepts = _read_lines(Path(files.concepts))
    relations = _read_lines(Path(files.relations))
    path = Path(files.graph)
    with np.load(path, allow_pickle=False) as npz:
        missing = {"head", "rel", "tail", "weight", "num_concepts"} - set(npz.files)
        if missing:
            raise ValueError(f"{path}: missing arrays {sorted(missing)}")
        head, rel, tail = (
            npz[name].astype(np.int32, copy=False) for name in ("head", "rel", "tail")
        )
        weight = npz["weight"].astype(np.float32, copy=False)
        num_concepts = int(npz["num_concepts"])
    if not len(head) == len(rel) == len(tail) == len(weight):
        raise ValueError(f"{path}: head, rel, tail and weight differ in length")
    if num_concepts != len(concepts):
        raise ValueError(
            f"{path}: num_concepts {num_concepts} but {files.concepts} has {len(concepts)} lines"
        )
    for name, ids, bound in (("head", head, num_concepts), ("tail", tail, num_concepts),
                             ("rel", rel, len(relations))):  # fmt: skip
        if len(ids) and (ids.min() < 0 or ids.max() >= bound):
            raise ValueError(f"{path}: {name} ids outside [0, {bound})")
    return ConceptGraph(concepts, relations, head, rel, tail, weight, num_concepts)


def _read_lines(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines:
        raise ValueError(f"{path}: empty")
    return lines


@dataclass
class _RangeResult:
    """What one worker extracted from one byte range; ids index its local `concepts`."""

    concepts: list[str]
    head: np.ndarray
    rel: np.ndarray
    tail: np.ndarray
    weight: np.ndarray
    rows: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    unmerged: Counter = field(default_factory=Counter)


def extract(
    assertions: str | os.PathLike,
    out: CpnetFiles | str | os.PathLike,
    stats_path: str | os.PathLike | None = None,
    blacklist: Iterable[str] = BLACKLIST,
    workers: int = 1,
    merge_path: str | os.PathLike | None = None,
    relations_path: str | os.PathLike | None = None,
    min_range_bytes: int = _RANGE_MIN_BYTES,
) -> dict:
    """Extract the English graph of a ConceptNet assertions CSV into the files `out` (or an
    extraction directory, where the stats go to `extract_stats.json` unless `stats_path` says
    otherwise); return the stats.

    `workers` processes each stream one byte range of at least `min_range_bytes` (so a small
    file is read by one process); the outputs are identical for any number of workers.
    """
    relations = read_relation_list(relations_path or relation_list_path())
    merge = read_relation_merge(merge_path or merge_relation_path())
    unknown = {group for group, _ in merge.values()} ^ set(relations)
    if unknown:
        raise ValueError(f"merge and relation files disagree on relations {sorted(unknown)}")
    relation2id = {relation: r for r, relation in enumerate(relations)}
    coded = {name: (relation2id[group], flip) for name, (group, flip) in merge.items()}

    ranges = byte_ranges(assertions, workers, min_range_bytes)
    jobs = [(str(assertions), start, end, coded, i) for i, (start, end) in enumerate(ranges)]
    if len(jobs) == 1:
        parts = [_extract_range(*jobs[0])]
    else:
        with ProcessPoolExecutor(max_workers=len(jobs)) as pool:
            parts = list(pool.map(_extract_range, *zip(*jobs, strict=True)))
    concepts, head, rel, tail, weight = _merge_ranges(parts)
    stats = _stats(assertions, parts, relations, _per_relation(rel, relations))

    keep, pruning = _prune(concepts, relations, head, rel, tail, set(blacklist))
    order = np.lexsort((tail[keep], head[keep], rel[keep]))
    head, rel, tail, weight = (a[keep][order] for a in (head, rel, tail, weight))
    stats.update(
        pruning=pruning,
        edges=len(head),
        per_relation_pruned=_per_relation(rel, relations),
        concepts=len(concepts),
        byte_ranges=len(parts),
    )
    if stats_path is None:
        stats_path = Path(cpnet_files(out).graph).with_name("extract_stats.json")
    _write(cpnet_files(out), concepts, relations, head, rel, tail, weight)
    write_json(stats_path, stats)
    log.info(
        "%s: %d rows, %d English edges extracted, %d kept after pruning, %d concepts",
        assertions, stats["rows_read"], stats["extracted_edges"], len(head), len(concepts),
    )  # fmt: skip
    return stats


def byte_ranges(
    path: str | os.PathLike, parts: int, min_bytes: int = _RANGE_MIN_BYTES
) -> list[tuple[int, int | None]]:
    """Cut a file into at most `parts` byte ranges of at least `min_bytes`, each starting at the
    beginning of a line; `(0, None)` is the whole file (read by `iter_assertions` directly), as is
    a gzip file's only range."""
    size = os.path.getsize(path)
    parts = max(1, min(parts, size // max(min_bytes, 1)))
    if parts > 1 and is_gzip(path):
        log.info("%s is gzip-compressed: read by one process, not %d", path, parts)
        parts = 1
    if parts == 1:
        return [(0, None)]
    starts = [0]
    with open(path, "rb") as fh:
        for k in range(1, parts):
            fh.seek(k * size // parts - 1)
            fh.readline()  # the next line start (the position itself if a line ends just before)
            if starts[-1] < fh.tell() < size:
                starts.append(fh.tell())
    return list(zip(starts, [*starts[1:], size], strict=True))


def _extract_range(
    path: str, start: int, end: int | None, coded: dict[str, tuple[int, bool]], index: int
) -> _RangeResult:
    """Integer-code the English, mergeable assertions of one byte range (a worker's job)."""
    local: dict[str, int] = {}
    head, rel, tail, weight = array("i"), array("i"), array("i"), array("f")
    counts: Counter = Counter()
    unmerged: Counter = Counter()
    skipped: list[Skipped] = []
    n_good = 0
    assertions = _range_assertions(path, start, end, skipped)
    for assertion in progress(assertions, f"ConceptNet byte range {index}", unit=" rows"):
        n_good += 1
        h, t = term_of(assertion.head), term_of(assertion.tail)
        if h is None or t is None:
            counts["non_english"] += 1
            continue
        name = assertion.relation.removeprefix("/r/").lower()
        if name not in coded:
            unmerged[name] += 1
            continue
        h, t = h.lower(), t.lower()
        if not (_alphabetic(h) and _alphabetic(t)):
            counts["non_alphabetic"] += 1
            continue
        r, flip = coded[name]
        if flip:
            h, t = t, h
        head.append(local.setdefault(h, len(local)))
        tail.append(local.setdefault(t, len(local)))
        rel.append(r)
        weight.append(assertion.weight)
    return _RangeResult(
        concepts=list(local),
        head=np.frombuffer(head, dtype=np.int32),
        rel=np.frombuffer(rel, dtype=np.int32),
        tail=np.frombuffer(tail, dtype=np.int32),
        weight=np.frombuffer(weight, dtype=np.float32),
        rows=n_good + len(skipped),
        skipped=skipped,
        counts=counts,
        unmerged=unmerged,
    )


def _alphabetic(term: str) -> bool:
    """QA-GNN's term filter: letters only once `_` and `-` are removed."""
    return term.replace("_", "").replace("-", "").isalpha()


def _range_assertions(
    path: str, start: int, end: int | None, skipped: list[Skipped]
) -> Iterator[Assertion]:
    """`iter_assertions` over the bytes [start, end) of `path` (the whole file if `end` is None).

    A range is fed to `iter_assertions` through a pipe by a thread, so the format has one parser;
    its line numbers (in `skipped`, and in errors, which name the range) count from the range's
    first line.
    """
    if end is None:
        yield from iter_assertions(path, skipped)
        return
    read_fd, write_fd = os.pipe()
    failure: list[BaseException] = []
    feeder = threading.Thread(
        target=_copy_range, args=(path, start, end, write_fd, failure), daemon=True
    )
    feeder.start()
    try:
        name = path if start == 0 else f"{path} (byte range {start}-{end})"
        yield from iter_assertions(f"/dev/fd/{read_fd}", skipped, name)
    finally:
        os.close(read_fd)  # unblocks the feeder (broken pipe) if iteration stopped early
        feeder.join()
    if failure:
        raise failure[0]


def _copy_range(path: str, start: int, end: int, fd: int, failure: list[BaseException]) -> None:
    try:
        with open(path, "rb") as src:
            src.seek(start)
            remaining = end - start
            while remaining > 0:
                chunk = src.read(min(_PIPE_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                view = memoryview(chunk)
                while view:
                    view = view[os.write(fd, view) :]
    except BrokenPipeError:
        pass  # the reader stopped early; its own error (if any) is the one to report
    except OSError as err:
        failure.append(err)
    finally:
        os.close(fd)


def _merge_ranges(
    parts: list[_RangeResult],
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenate the ranges in file order, mapping local concept ids to global first-seen ids."""
    concept2id: dict[str, int] = {}
    heads, tails = [], []
    for part in parts:
        to_global = np.array(
            [concept2id.setdefault(c, len(concept2id)) for c in part.concepts], dtype=np.int32
        )
        heads.append(to_global[part.head] if len(part.head) else part.head)
        tails.append(to_global[part.tail] if len(part.tail) else part.tail)
    if not concept2id:
        raise ValueError("no English assertion with a merged relation: is this ConceptNet?")
    rel = np.concatenate([p.rel for p in parts])
    weight = np.concatenate([p.weight for p in parts])
    return list(concept2id), np.concatenate(heads), rel, np.concatenate(tails), weight


def _prune(
    concepts: list[str],
    relations: list[str],
    head: np.ndarray,
    rel: np.ndarray,
    tail: np.ndarray,
    blacklist: set[str],
) -> tuple[np.ndarray, dict[str, int]]:
    """Mask of the kept edges, and how many each rule removed (applied in this order)."""
    pruned_rel = [relations.index(r) for r in PRUNED_RELATIONS]
    banned = np.array([c in blacklist for c in concepts], dtype=bool)
    rules = {
        "hascontext": np.isin(rel, pruned_rel),
        "blacklist": banned[head] | banned[tail],
        "self_loops": head == tail,
    }
    keep = np.ones(len(head), dtype=bool)
    counts = {}
    for name, drop in rules.items():
        counts[name] = int((keep & drop).sum())
        keep &= ~drop
    n = np.int64(len(concepts))
    key = (rel.astype(np.int64) * n + head) * n + tail
    kept = np.flatnonzero(keep)
    _, first = np.unique(key[kept], return_index=True)  # first occurrence in file order
    counts["duplicates"] = len(kept) - len(first)
    keep[:] = False
    keep[kept[first]] = True
    return keep, counts


def _per_relation(rel: np.ndarray, relations: list[str]) -> dict[str, int]:
    counts = np.bincount(rel, minlength=len(relations)).tolist()
    return dict(zip(relations, counts, strict=True))


def _stats(
    assertions: str | os.PathLike,
    parts: list[_RangeResult],
    relations: list[str],
    per_relation: dict[str, int],
) -> dict:
    """Row counts over all ranges, with skipped lines numbered from the file's first line."""
    skipped: list[Skipped] = []
    offset = 0
    counts: Counter = Counter()
    unmerged: Counter = Counter()
    for part in parts:
        skipped += [(offset + line, reason) for line, reason in part.skipped]
        offset += part.rows
        counts.update(part.counts)
        unmerged.update(part.unmerged)
    extracted = sum(per_relation.values())
    english = extracted + sum(unmerged.values()) + counts["non_alphabetic"]
    return {
        "assertions": str(assertions),
        "rows_read": offset,
        "malformed_skipped": len(skipped),
        "malformed_lines": [list(s) for s in skipped[:100]],
        "non_english_skipped": counts["non_english"],
        "english_rows": english,
        "unmerged_relation_skipped": dict(unmerged.most_common()),
        "non_alphabetic_skipped": counts["non_alphabetic"],
        "extracted_edges": extracted,
        "per_relation": per_relation,
    }


def _write(
    out: CpnetFiles,
    concepts: list[str],
    relations: list[str],
    head: np.ndarray,
    rel: np.ndarray,
    tail: np.ndarray,
    weight: np.ndarray,
) -> None:
    write_text(out.concepts, "".join(f"{c}\n" for c in concepts))
    write_text(out.relations, "".join(f"{r}\n" for r in relations))
    with atomic_path(out.graph) as tmp, tmp.open("wb") as fh:
        np.savez(
            fh,
            head=head.astype(np.int32),
            rel=rel.astype(np.int32),
            tail=tail.astype(np.int32),
            weight=weight.astype(np.float32),
            num_concepts=np.int64(len(concepts)),
        )
