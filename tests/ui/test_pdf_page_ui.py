"""The PDF export as a reader sees it: findings from the sample store printed by headless
Chromium, the first page rendered to an image (pypdfium2) for the gallery, its text checked:
every finding's title and the curated evidence columns are on the page, none cut at its edge."""

from __future__ import annotations

from pathlib import Path

import pytest

import diaglab as dl
from conftest import SAMPLE  # type: ignore[import-not-found]
from diaglab.sample import working_copy

pytestmark = pytest.mark.ui
pdfium = pytest.importorskip("pypdfium2", reason="pip install pypdfium2 (the dev extra has it)")


def test_the_pdf_report_prints_whole_pages(tmp_path: Path, artifacts: Path) -> None:
    store = dl.open(working_copy(SAMPLE))
    try:
        drift = dl.DriftExplorer(store, "credit").wait(300)
        slices = dl.SliceExplorer(store, "credit", by="region").wait(300)
        findings = [
            drift.capture(
                "The most drifted feature in the current window", "seen in the gallery run"
            ),
            slices.capture("The worst region", "error by region"),
        ]
        drift.close()
        slices.close()
        pdf = dl.export(findings, tmp_path / "report.pdf")
    finally:
        store.close()
    document = pdfium.PdfDocument(str(pdf))
    pages = [document[i].get_textpage().get_text_range() for i in range(len(document))]
    # the first finding starts on the first page, under the report's title (a finding taller
    # than the rest of a page is not pushed whole to the next one, leaving a blank page)
    assert findings[0].title in pages[0], pages[0][:300]
    page = document[0]
    width, height = page.get_size()
    image = page.render(scale=1.5).to_pil()
    image.save(artifacts / "export-pdf-page-1.png")
    assert image.convert("L").getextrema()[0] < 100, "the page has dark ink: it is not blank"
    text = "\n".join(pages)
    for finding in findings:
        assert finding.title in text
    # the curated drift evidence: its columns, and the last of them, are printed on the page
    for column in ("feature", "verdict", "effect", "p adj."):
        assert column in text, column
    for i in range(len(document)):  # every character lies inside its page
        textpage, (w, _) = document[i].get_textpage(), document[i].get_size()
        right = max(textpage.get_charbox(c)[2] for c in range(textpage.count_chars()))
        assert right <= w, f"page {i + 1}: text runs to {right:.0f} pt on a {w:.0f} pt page"
    assert width > 0 and height > 0
