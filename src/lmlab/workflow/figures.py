"""The figures of one seed, of every family: what `make figures SEED=N` redraws from existing
measurements, and what rule `all` asks for per seed (one list for both, so they cannot drift).

Only the figure rules (`FIGURE_RULES`) draw these files, from measurement files alone (no model
is loaded), so `snakemake <these files> --forcerun <FIGURE_RULES> --allowed-rules <FIGURE_RULES>`
redraws them and never trains.
"""

from __future__ import annotations

from lmlab import paths

FIGURE_RULES = ("heads_figures", "qat_figure", "unipelt_gates_figure")


def seed_figures(config: dict, seed: int | str) -> dict[str, list[str]]:
    """Per family (`heads`, `qat`, `unipelt`), the figure files of `seed` under `config` (the
    validated config, defaults filled)."""
    task = config["heads"]["task"]
    dataset = config["graph"]["dataset"]
    section = config["unipelt"]
    return {
        "heads": [paths.heads_file(name, task, seed) for name in paths.HEADS_FIGURES.values()],
        "qat": [
            paths.qat_file("fig_curve.png", dataset, variant, seed)
            for variant in config["qat"]["variants"]
        ],
        "unipelt": [
            paths.unipelt_file("fig_gates.png", task_name, k, "unipelt", seed)
            for task_name in section["tasks"]
            for k in section["k"]
            if "unipelt" in section["methods"]
        ],
    }
