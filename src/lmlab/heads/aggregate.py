"""Per-seed aggregation of the head measurements into `heads.csv`, `stats.json`, `cases.json`.

Inputs are the measurement stages' JSON-lines files (one line per head, keyed by layer, head)
and the per-example values beside them (`lmlab.heads.per_example`):

- `importance_post.jsonl` (I and its standard error at θ1) and one `importance_pre_{readout}
  .jsonl` per measured θ0 readout (`random`: θ0's seeded random head; `probe`: a head fitted on
  the frozen θ0 encoder, `lmlab.heads.probe`);
- one `gradfisher_pre_{readout}.jsonl` per readout (G, F, Ppred at θ0);
- `update.jsonl` (U, Urel, Uq, Uk, Uv, Uo from θ1 - θ0).

Every file must list the same heads exactly once. heads.csv names every θ0 column after its
readout (`I_pre_probe`, `I_pre_probe_se`, `G_random`, ...), so the two readings are never
confused; extra numeric columns of update.jsonl (for example the part of the update orthogonal
to θ0) follow the fixed ones.

Per-layer normalisation (Michel et al. 2019, "Are Sixteen Heads Really Better than One?", divide
each layer's importance scores by their L2 norm over the layer's heads) is an explicit variant
(`heads.analysis.layer_normalise`, default off): it changes every across-layer comparison, so it
applies to the I and G columns (and I's standard errors, by the same factor) only in the
analysis view used by the statistics, cases and figures, and stats.json records which view was
used. The bootstrap replicates are normalised the same way.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lmlab.config import Bootstrap, CaseThresholds
from lmlab.heads.bootstrap import example_weights, mean_interval, replicate_means
from lmlab.heads.cases import select_cases
from lmlab.heads.per_example import read_examples
from lmlab.heads.stats import quantities, seed_statistics
from lmlab.runtime.atomic import atomic_path, write_json

READOUTS = ("random", "probe")
UPDATE = ("U", "Urel", "Uq", "Uk", "Uv", "Uo")
SIGNIFICANT_SE = 2.0  # |I| within this many standard errors of 0: not told apart from 0


def importance_columns(when: str) -> dict[str, str]:
    """heads.csv names of an importance file's columns (`when`: post, pre_random, pre_probe)."""
    return {"I": f"I_{when}", "I_se": f"I_{when}_se"}


def gradient_columns(readout: str) -> dict[str, str]:
    """heads.csv names of a gradfisher file's columns."""
    return {name: f"{name}_{readout}" for name in ("G", "F", "Ppred")}


def table_readouts(table: pd.DataFrame) -> list[str]:
    """The θ0 readouts whose columns `table` holds, in `READOUTS` order."""
    return [r for r in READOUTS if f"I_pre_{r}" in table.columns]


def fixed_columns(readouts: list[str]) -> list[str]:
    """The columns heads.csv always has for the measured `readouts`, in file order."""
    columns = ["layer", "head", *importance_columns("post").values()]
    for readout in readouts:
        columns += importance_columns(f"pre_{readout}").values()
    for readout in readouts:
        columns += gradient_columns(readout).values()
    return [*columns, *UPDATE]


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


def build_head_table(
    importance: dict[str, str | os.PathLike],
    gradfisher: dict[str, str | os.PathLike],
    update: str | os.PathLike,
) -> pd.DataFrame:
    """The per-head table of heads.csv. `importance` maps `post` and `pre_{readout}` to their
    files, `gradfisher` maps each readout to its file; the readouts of both must agree."""
    readouts = [r for r in READOUTS if f"pre_{r}" in importance]
    if "post" not in importance or sorted(readouts) != sorted(gradfisher) or not readouts:
        raise ValueError(
            f"need importance files for post and pre_<readout> and one gradfisher file per "
            f"readout, got importance {sorted(importance)} and gradfisher {sorted(gradfisher)}"
        )
    sources = [(importance["post"], importance_columns("post"))]
    sources += [(importance[f"pre_{r}"], importance_columns(f"pre_{r}")) for r in readouts]
    sources += [(gradfisher[r], gradient_columns(r)) for r in readouts]
    sources.append((update, {c: c for c in UPDATE}))
    parts, heads = [], None
    for path, renames in sources:
        frame = read_scores(path, list(renames))
        if heads is not None and not frame.index.equals(heads):
            only = sorted(set(frame.index) ^ set(heads))[:5]
            raise ValueError(f"{path} lists other heads than the other files, e.g. {only}")
        heads = frame.index
        keep = list(renames)
        if path == update:
            keep += [c for c in frame.columns if c not in renames and _is_numeric(frame[c])]
        parts.append(frame[keep].rename(columns=renames))
    return pd.concat(parts, axis=1).reset_index()


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _scaled_columns(table: pd.DataFrame) -> dict[str, list[str]]:
    """Each normalised score column with the columns scaled by the same per-layer factor."""
    scores = [c for c in table.columns if c.startswith(("I_", "G_")) and not c.endswith("_se")]
    return {c: [c, *([f"{c}_se"] if f"{c}_se" in table.columns else [])] for c in scores}


def layer_norms(table: pd.DataFrame, column: str) -> pd.Series:
    """Per row, the L2 norm of `column` over the row's layer (1 where it is 0)."""
    norms = table.groupby("layer")[column].transform(lambda v: float(np.sqrt((v**2).sum())))
    return norms.where(norms > 0, 1.0)


def normalise_per_layer(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of `table` with each layer's I and G scores divided by their L2 norm over its heads
    (standard errors of I by the same factor)."""
    out = table.copy()
    for score, scaled in _scaled_columns(table).items():
        norms = layer_norms(table, score)
        for column in scaled:
            out[column] = table[column] / norms
    return out


def analysis_view(table: pd.DataFrame, layer_normalise: bool) -> pd.DataFrame:
    """The scores the statistics, cases and figures use: raw, or per-layer L2-normalised."""
    return normalise_per_layer(table) if layer_normalise else table


def read_head_table(path: str | os.PathLike) -> pd.DataFrame:
    """heads.csv as written by `aggregate_seed`, checked for the fixed columns."""
    table = pd.read_csv(path)
    readouts = table_readouts(table)
    missing = [c for c in fixed_columns(readouts or list(READOUTS)) if c not in table.columns]
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


def per_example_values(
    importance: dict[str, str | os.PathLike], gradfisher: dict[str, str | os.PathLike]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(per-head `[N, n]` values whose means over examples are the I and G columns, per-example
    baseline losses `[n]` per measured checkpoint), from the files beside the measurements."""
    per_head, base = {}, {}
    for when, path in importance.items():
        arrays = read_examples(path)
        per_head[f"I_{when}"] = arrays["delta"].reshape(-1, arrays["delta"].shape[-1])
        base[when] = arrays["base"]
    for readout, path in gradfisher.items():
        grad = read_examples(path)["grad"]
        per_head[f"G_{readout}"] = np.abs(grad).reshape(-1, grad.shape[-1])
    sizes = {name: values.shape[-1] for name, values in per_head.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"the measurements scored different numbers of examples: {sizes}")
    return per_head, base


def normalise_columns(values: np.ndarray, layers: np.ndarray) -> np.ndarray:
    """`[N, B]` values with every column divided by its per-layer L2 norm (1 where it is 0)."""
    _, codes = np.unique(layers, return_inverse=True)
    sums = np.zeros((codes.max() + 1, values.shape[1]))
    np.add.at(sums, codes, values**2)
    norms = np.sqrt(sums)[codes]
    return values / np.where(norms > 0, norms, 1.0)


def bootstrap_replicates(
    table: pd.DataFrame,
    view: pd.DataFrame,
    per_head: dict[str, np.ndarray],
    weights: np.ndarray,
    compared: list[str],
    layer_normalise: bool,
) -> dict[str, np.ndarray]:
    """`[N, B]` bootstrap replicates of every compared quantity in the analysis `view` of the raw
    `table`: resampled means for I and G (per-layer normalised per replicate with
    `layer_normalise`), the view's value for the rest. The per-example values must average to
    the table's."""
    replicates = {}
    for name in compared:
        if name not in per_head:
            column = view[name].to_numpy(dtype=float)[:, None]
            replicates[name] = np.repeat(column, len(weights), axis=1)
            continue
        values = per_head[name]
        if not np.allclose(values.mean(1), table[name], rtol=1e-6, atol=1e-12):
            raise ValueError(f"the per-example values of {name} do not average to heads.csv's")
        means = replicate_means(values, weights)
        if layer_normalise:
            means = normalise_columns(means, table["layer"].to_numpy())
        replicates[name] = means
    return replicates


def signal_to_noise(view: pd.DataFrame) -> dict:
    """Per importance column: how far its spread across heads exceeds its typical standard error,
    and how many heads lie within `SIGNIFICANT_SE` standard errors of 0."""
    out = {}
    for column in [c for c in view.columns if c.startswith("I_") and not c.endswith("_se")]:
        values, se = view[column].to_numpy(dtype=float), view[f"{column}_se"].to_numpy(dtype=float)
        spread, typical = float(np.std(values, ddof=1)), float(np.median(se))
        out[column] = {
            "sd_over_heads": spread,
            "median_se": typical,
            "ratio": spread / typical if typical > 0 else math.inf,
            "heads_within_2se_of_0": int((np.abs(values) < SIGNIFICANT_SE * se).sum()),
        }
    return out


def aggregate_seed(
    importance: dict[str, str | os.PathLike],
    gradfisher: dict[str, str | os.PathLike],
    update: str | os.PathLike,
    outputs: dict[str, str | os.PathLike],
    top_k: int,
    cases: CaseThresholds,
    layer_normalise: bool,
    readout: str,
    bootstrap: Bootstrap,
    meta: dict,
) -> dict:
    """Write heads.csv, stats.json and cases.json of one seed (`outputs` keys heads_csv, stats,
    cases); return the statistics.

    `importance` maps post and pre_{readout} to their files, `gradfisher` each readout to its
    file. `top_k`, `cases`, `layer_normalise`, `readout` (whose I_pre and G define the case
    sets) and `bootstrap` are the `heads.analysis` keys; `meta` (task, seed, model) is copied into
    stats.json for titles and the across-seed summary.
    """
    table = build_head_table(importance, gradfisher, update)
    readouts = table_readouts(table)
    if readout not in readouts:
        raise ValueError(f"heads.analysis.readout {readout!r} was not measured ({readouts})")
    view = analysis_view(table, layer_normalise)
    compared = quantities(readouts)
    per_head, base = per_example_values(importance, gradfisher)
    weights = example_weights(next(iter(base.values())).size, bootstrap)
    replicates = bootstrap_replicates(table, view, per_head, weights, compared, layer_normalise)
    meta = {
        **meta,
        "normalisation": "layer_l2" if layer_normalise else "none",
        "readouts": readouts,
        "readout": readout,
    }
    statistics = {
        **meta,
        "loss": {
            when: mean_interval(values, weights, bootstrap.level) for when, values in base.items()
        },
        **seed_statistics(view, top_k, compared, replicates, bootstrap.level),
        "signal": signal_to_noise(view),
        "bootstrap": {
            "over": "the examples of the eval subset, paired across every measurement",
            "n_examples": int(weights.shape[1]),
            "resamples": bootstrap.resamples,
            "level": bootstrap.level,
            "seed": bootstrap.seed,
            "method": "basic (2 t - replicate percentiles), clipped to the range",
            "fixed": [q for q in compared if q not in per_head],
        },
    }
    case_sets = {**meta, **select_cases(view, f"I_pre_{readout}", cases.top, cases.bottom)}
    with atomic_path(outputs["heads_csv"]) as tmp:
        table.to_csv(tmp, index=False, float_format="%.8g")
    write_json(outputs["stats"], json_safe(statistics))
    write_json(outputs["cases"], json_safe(case_sets))
    return statistics
