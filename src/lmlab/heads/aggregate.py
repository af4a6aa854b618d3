"""Per-seed aggregation of the head measurements into `heads.csv`, `stats.json`, `cases.json`.

Inputs are the measurement stages' JSON-lines files (one line per head, keyed by layer, head):
importance_pre.jsonl / importance_post.jsonl (I on θ0 / θ1), gradfisher_pre.jsonl (G, F, Ppred
on θ0) and update.jsonl (U, Urel, Uq, Uk, Uv, Uo from θ1 - θ0). Every file must list the same
heads exactly once. `heads.csv` keeps the raw scores; extra numeric columns of update.jsonl (for
example the part of the update orthogonal to θ0) follow the fixed ones.

Per-layer normalisation (Michel et al. 2019, "Are Sixteen Heads Really Better than One?", divide
each layer's importance scores by their L2 norm over the layer's heads) is an explicit variant
(`heads.analysis.layer_normalise`, default off): it changes every across-layer comparison, so it
applies to I_pre, I_post and G only in the analysis view used by the statistics, cases and
figures, and stats.json records which view was used.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lmlab.config import CaseThresholds
from lmlab.heads.cases import select_cases
from lmlab.heads.stats import seed_statistics
from lmlab.runtime.atomic import atomic_path, write_json

COLUMNS = (
    *("layer", "head", "I_pre", "I_post", "G", "F", "Ppred"),
    *("U", "Urel", "Uq", "Uk", "Uv", "Uo"),
)
NORMALISED = ("I_pre", "I_post", "G")
# (file role, columns read from it, how they are named in heads.csv)
SOURCES = {
    "importance_pre": {"I": "I_pre"},
    "importance_post": {"I": "I_post"},
    "gradfisher_pre": {"G": "G", "F": "F", "Ppred": "Ppred"},
    "update": {c: c for c in ("U", "Urel", "Uq", "Uk", "Uv", "Uo")},
}


def read_scores(path: str | os.PathLike, columns: list[str]) -> pd.DataFrame:
    """One measurement file as a frame indexed by (layer, head), with every line checked."""
    rows = []
    with Path(path).open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}:{number}: not JSON ({err.msg})") from err
            missing = [c for c in ("layer", "head", *columns) if c not in row]
            if missing:
                raise ValueError(f"{path}:{number}: missing {missing}")
            rows.append(row)
    if not rows:
        raise ValueError(f"{path}: no heads")
    frame = pd.DataFrame(rows)
    frame[["layer", "head"]] = frame[["layer", "head"]].astype(int)
    duplicated = frame.duplicated(["layer", "head"])
    if duplicated.any():
        first = frame.loc[duplicated, ["layer", "head"]].iloc[0].tolist()
        raise ValueError(f"{path}: head (layer, head) = {tuple(first)} listed more than once")
    return frame.set_index(["layer", "head"]).sort_index()


def build_head_table(paths: dict[str, str | os.PathLike]) -> pd.DataFrame:
    """The per-head table of heads.csv from the four measurement files named in `SOURCES`."""
    parts = []
    heads = None
    for role, renames in SOURCES.items():
        frame = read_scores(paths[role], list(renames))
        if heads is not None and not frame.index.equals(heads):
            only = sorted(set(frame.index) ^ set(heads))[:5]
            raise ValueError(f"{paths[role]} lists other heads than the other files, e.g. {only}")
        heads = frame.index
        keep = list(renames)
        if role == "update":
            keep += [c for c in frame.columns if c not in renames and _is_numeric(frame[c])]
        parts.append(frame[keep].rename(columns=renames))
    return pd.concat(parts, axis=1).reset_index()


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def baseline_losses(paths: dict[str, str | os.PathLike]) -> dict[str, float]:
    """Mean eval-subset loss of θ0 and θ1 without ablation (`loss_base` of the importance files)."""
    out = {}
    for role, name in (("importance_pre", "loss_pre"), ("importance_post", "loss_post")):
        frame = read_scores(paths[role], ["loss_base"])
        out[name] = float(frame["loss_base"].iloc[0])
    return out


def normalise_per_layer(table: pd.DataFrame, columns=NORMALISED) -> pd.DataFrame:
    """A copy of `table` with each layer's `columns` divided by their L2 norm over its heads."""
    out = table.copy()
    for column in columns:
        norms = out.groupby("layer")[column].transform(lambda v: float(np.sqrt((v**2).sum())))
        out[column] = out[column] / norms.where(norms > 0, 1.0)
    return out


def analysis_view(table: pd.DataFrame, layer_normalise: bool) -> pd.DataFrame:
    """The scores the statistics, cases and figures use: raw, or per-layer L2-normalised."""
    return normalise_per_layer(table) if layer_normalise else table


def read_head_table(path: str | os.PathLike) -> pd.DataFrame:
    """heads.csv as written by `aggregate_seed`, checked for the fixed columns."""
    table = pd.read_csv(path)
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    return table


def json_safe(value):
    """`value` with NaN/inf floats replaced by None (strict JSON, readable by DVC)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def aggregate_seed(
    paths: dict[str, str | os.PathLike],
    heads_csv: str | os.PathLike,
    stats_json: str | os.PathLike,
    cases_json: str | os.PathLike,
    top_k: int,
    cases: CaseThresholds,
    layer_normalise: bool,
    meta: dict,
) -> dict:
    """Write heads.csv, stats.json and cases.json of one seed; return the statistics.

    `top_k`, `cases` and `layer_normalise` are the `heads.analysis` keys of the same names;
    `meta` (task, seed, model) is copied into stats.json for titles and the across-seed summary.
    """
    table = build_head_table(paths)
    view = analysis_view(table, layer_normalise)
    meta = {**meta, "normalisation": "layer_l2" if layer_normalise else "none"}
    statistics = {
        **meta,
        **baseline_losses(paths),
        **seed_statistics(view, top_k),
        "uncertainty": "none reported: see lmlab.heads.stats (spread over seeds in the summary)",
    }
    case_sets = {**meta, **select_cases(view, cases.top, cases.bottom)}
    with atomic_path(heads_csv) as tmp:
        table.to_csv(tmp, index=False, float_format="%.8g")
    write_json(stats_json, json_safe(statistics))
    write_json(cases_json, json_safe(case_sets))
    return statistics
