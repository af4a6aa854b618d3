"""`snakemake --report report.html` on a finished smoke run: one self-contained HTML file with every
figure and aggregate table and its caption, opened in headless Chromium (Debian's `chromium`,
driven by Playwright without a browser download of its own)."""

from __future__ import annotations

import html
import io
import os
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from .helpers import snakemake

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH")


@pytest.fixture(scope="module")
def report(smoke_run: Path, tmp_path_factory) -> Path:
    """The report of the smoke run, written outside the project. `--report` writes a log and a lock
    under .snakemake/, so it runs in a hard-linked copy: `smoke_run` stays read only."""
    project = tmp_path_factory.mktemp("report") / "project"
    shutil.copytree(smoke_run, project, copy_function=os.link)
    path = project.parent / "report.html"
    snakemake(project, "--configfile", "config/smoke.yaml", "--report", str(path))
    return path


@pytest.fixture(scope="module")
def page(report: Path):
    """The report loaded in headless Chromium, after its JavaScript app has started."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        view = browser.new_page(viewport={"width": 1400, "height": 900})
        view.goto(report.as_uri())
        view.wait_for_function("typeof app !== 'undefined' && typeof results !== 'undefined'")
        yield view
        browser.close()


@pytest.mark.slow
def test_report_is_one_self_contained_html_file(report):
    text = report.read_text(encoding="utf-8")
    assert not zipfile.is_zipfile(report)
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert not re.search(r"""<(?:script|img|link)[^>]+(?:src|href)=["']?(?:https?:)?//""", text)


@pytest.mark.slow
@needs_chromium
def test_report_holds_every_figure_and_summary_table_with_a_caption(page, smoke_run):
    results = page.evaluate("results")
    figures = {p.relative_to(smoke_run).as_posix() for p in smoke_run.glob("results/**/*.png")}
    assert figures and figures <= set(results), figures - set(results)
    tables = {
        entry["job_properties"]["rule"]
        for entry in results.values()
        if entry["mime_type"] in {"text/csv", "text/markdown"}
    }
    snakefile_rules = (smoke_run / "workflow" / "rules").glob("*.smk")
    aggregates = {
        m for f in snakefile_rules for m in re.findall(r"^rule (\w+_summary):", f.read_text(), re.M)
    }
    assert aggregates and aggregates <= tables, aggregates - tables
    captionless = [path for path, entry in results.items() if not entry["caption"].strip()]
    assert not captionless


@pytest.mark.slow
@needs_chromium
def test_every_figure_renders_with_its_caption(page):
    """Open each result as a reader does (its page in the side bar, then its eye button); each
    figure must decode (natural width > 0) and show more than one colour on screen."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    results = page.evaluate("results")
    for path, entry in results.items():
        page.evaluate("path => app.showResultInfo(path)", path)
        side_bar = page.locator("nav").first
        caption = html.unescape(re.sub(r"<[^>]+>", " ", entry["caption"])).split()[:8]
        assert " ".join(caption) in " ".join(side_bar.inner_text().split()), path
        if not entry["mime_type"].startswith("image/"):
            continue
        side_bar.locator("a[iconname='eye']").click()
        shown = page.wait_for_function(
            "path => Array.from(document.querySelectorAll('#app img'))"
            ".find(img => img.src === results[path].data_uri && img.complete)",
            arg=path,
        ).as_element()
        assert shown.evaluate("img => img.naturalWidth") > 0, path
        on_screen = Image.open(io.BytesIO(shown.screenshot())).convert("RGB")
        assert len(on_screen.getcolors(maxcolors=1 << 24)) > 1, path
    assert not errors
