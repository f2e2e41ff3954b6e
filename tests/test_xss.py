"""A tampered finding cannot run script where diaglab shows it (issue 16): the notebook's HTML
fallback, the HTML export. The same payloads run in a real browser in tests/ui/test_xss_ui.py."""

from __future__ import annotations

import base64
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

import diaglab as dl
from diaglab.findings.finding import finding_html
from diaglab.findings.html import report_html
from xss_payloads import SVG_PAYLOADS, USERMETA_SPEC, tampered_findings


class Tags(HTMLParser):
    """Every element and attribute a browser would build from the markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def _parse(markup: str) -> Tags:
    t = Tags()
    t.feed(markup)
    return t


@pytest.mark.parametrize("name", sorted(SVG_PAYLOADS))
def test_a_tampered_chart_svg_is_only_ever_an_image(name: str) -> None:
    f = next(x for x in tampered_findings() if x.id == f"xss-{name}")
    for markup in (finding_html(f), report_html([f], interactive=False)):
        tags = _parse(markup)
        names = {t for t, _ in tags.tags}
        assert not names & {"svg", "animate", "foreignobject", "iframe", "image", "script"}
        assert not any(a.lower().startswith("on") for _, attrs in tags.tags for a in attrs)
        (img,) = [attrs for t, attrs in tags.tags if t == "img"]
        src = str(img["src"])
        assert src.startswith("data:image/svg+xml;base64,")
        assert base64.b64decode(src.split(",", 1)[1]).decode() == SVG_PAYLOADS[name].strip()


def test_text_that_is_not_svg_is_not_shown() -> None:
    from diaglab.findings.finding import svg_image

    assert svg_image("<script>alert(1)</script>") == ""
    assert svg_image("javascript:alert(1)") == ""


def test_usermeta_never_reaches_the_exported_page(tmp_path: Path) -> None:
    out = dl.export(tampered_findings(), tmp_path / "x.html")
    text = out.read_text()
    tags = _parse(text)
    block = next(s for s in tags.scripts if s.startswith('{"chart-'))
    specs = json.loads(block)
    usermeta = specs[f"chart-{len(SVG_PAYLOADS)}"]
    assert "usermeta" not in usermeta
    assert usermeta["encoding"] == USERMETA_SPEC["encoding"]
    assert "sourceHeader" not in block and "attacker.invalid" not in text
    embed = tags.scripts[-1]
    assert "delete spec.usermeta" in embed and "actions:false" in embed and "ast:true" in embed


def test_the_exported_page_has_a_strict_csp_naming_its_own_scripts(tmp_path: Path) -> None:
    import hashlib

    out = dl.export(tampered_findings(), tmp_path / "x.html")
    tags = _parse(out.read_text())
    (meta,) = [a for t, a in tags.tags if t == "meta" and a.get("http-equiv")]
    assert meta["http-equiv"] == "Content-Security-Policy"
    policy = dict(part.partition(" ")[::2] for part in str(meta["content"]).split("; "))
    assert policy["default-src"] == "'none'" and policy["connect-src"] == "'none'"
    assert "unsafe-inline" not in policy["script-src"]
    assert "unsafe-eval" not in policy["script-src"]
    code = [s for s in tags.scripts if not s.startswith('{"chart-')]
    allowed = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in code
    }
    assert set(policy["script-src"].split()) == allowed and len(allowed) == 2
    static = _parse(report_html(tampered_findings(), interactive=False))
    (meta,) = [a for t, a in static.tags if t == "meta" and a.get("http-equiv")]
    assert "script-src 'none'" in str(meta["content"])
