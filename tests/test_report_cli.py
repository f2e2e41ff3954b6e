"""``diaglab report`` and ``diaglab recheck``: their outputs and exit codes (0 ok, 1 failed, 2 bad
input)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import diaglab as dl
from conftest import START, copy_sample, make_batch
from diaglab.cli import main
from test_findings import build, validate

CURRENT = "2026-02-10..2026-03-02"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_sample(tmp_path_factory.mktemp("report"))


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_report_writes_the_standard_findings(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report.json"
    args = ["report", str(sample), "--model", "credit", "--out", str(out), "--window", CURRENT]
    code = main([*args, "--author", "Ada Lovelace"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    obj = json.loads(out.read_text())
    validate(obj)
    assert {f["author"] for f in obj["findings"]} == {"Ada Lovelace"}
    titles = [f["title"] for f in obj["findings"]]
    assert [t.split(":")[0] for t in titles] == [
        "Drift",
        "Worst slice",
        "Degraded most",
        "Metrics over time",
        "Notable predictions",
    ]
    # The sample's drift is in credit_utilization and income (sample_truth.json).
    assert "credit_utilization" in titles[0] and "income" in titles[0]
    drift = obj["findings"][0]
    assert drift["query"]["function"] == "diaglab.drift"
    assert drift["query"]["spec"]["scope"]["window"]["start"].startswith("2026-02-10")
    assert drift["query"]["sql"] and drift["chart"] and drift["chart_svg"].startswith("<svg")
    assert f"wrote 5 findings to {out}" in printed
    assert len(dl.findings(sample)) == 0  # not stored unless --save

    html_out = tmp_path / "report.html"
    assert main(["report", str(sample), "--model", "credit", "--out", str(html_out), "--save"]) == 0
    stored = dl.findings(sample)
    assert len(stored) == 5 and stored[0].title.startswith("Drift:")
    heads: list[str] = []

    class H2(HTMLParser):
        inside = False

        def handle_starttag(self, tag: str, attrs: object) -> None:
            self.inside = tag == "h2"

        def handle_data(self, data: str) -> None:
            if self.inside:
                heads.append(data)
                self.inside = False

    H2().feed(html_out.read_text())
    assert len(heads) == 5 and heads[0].startswith("Drift:")


def test_report_checks_fail_with_exit_1_naming_what_failed(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = write(
        tmp_path / "checks.yaml",
        "- drift: {statistic: psi, max: 0.2, features: numeric}\n"
        "- metric: {name: accuracy, where: \"region = 'north'\", min: 0.95}\n"
        "- metric: {name: accuracy, min: 0.5}\n",
    )
    args = ["report", str(sample), "--model", "credit", "--out", str(tmp_path / "r.md")]
    code = main([*args, "--window", CURRENT, "--checks", str(checks)])
    printed = capsys.readouterr()
    assert code == 1
    lines = printed.out.splitlines()
    drift_line = next(line for line in lines if line.startswith("FAIL: drift psi"))
    assert "credit_utilization" in drift_line
    assert any(line.startswith("FAIL: accuracy >= 0.95 on region = 'north'") for line in lines)
    assert any(line.startswith("PASS: accuracy >= 0.5 on all rows") for line in lines)
    assert "2 of 3 checks failed" in printed.err

    passing = write(
        tmp_path / "ok.yaml",
        "- drift: {statistic: psi, max: 5, features: all}\n- metric: {name: accuracy, min: 0.5}\n",
    )
    assert main([*args, "--window", CURRENT, "--checks", str(passing)]) == 0
    assert "all 2 checks passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--window", "last week"], "a window is 'start .. end'"),
        (["--checks", "{missing}"], "no such checks file"),
        (["--checks", "{bad_kind}"], "unknown check kind"),
        (["--checks", "{bad_option}"], "unknown drift check option 'maximum'"),
        (["--checks", "{bad_stat}"], "unknown drift statistic 'psy'"),
        (["--checks", "{bad_filter}"], "regoin"),
    ],
)
def test_report_bad_input_exits_2(
    sample: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    files = {
        "missing": tmp_path / "nope.yaml",
        "bad_kind": write(tmp_path / "k.yaml", "- latency: {max: 3}\n"),
        "bad_option": write(tmp_path / "o.yaml", "- drift: {statistic: psi, maximum: 3}\n"),
        "bad_stat": write(tmp_path / "s.yaml", "- drift: {statistic: psy, max: 3}\n"),
        "bad_filter": write(
            tmp_path / "f.yaml", "- metric: {name: accuracy, where: \"regoin = 'x'\", min: 0}\n"
        ),
    }
    extra = [e.format(**files) for e in extra]
    out = tmp_path / "r.html"
    code = main(["report", str(sample), "--model", "credit", "--out", str(out), *extra])
    assert code == 2
    assert message in capsys.readouterr().err


def test_report_unknown_model_or_store_exits_2(
    sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "r.html")
    assert main(["report", str(sample), "--model", "credi", "--out", out]) == 2
    assert "unknown model 'credi'; known: credit" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nowhere"), "--model", "credit", "--out", out]) == 2
    assert "not a diaglab store" in capsys.readouterr().err
    assert not Path(out).exists()


def test_recheck_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = build(tmp_path / "store")
    try:
        ex = dl.SliceExplorer(store, "credit", by="region").wait()
        try:
            ex.capture("north vs the rest")
        finally:
            ex.close()
        dl.finding("a table without a query", pd.DataFrame({"a": [1]}), store=store)
        dl.export(dl.findings(store)[:1], tmp_path / "holds.json")
        dl.export(dl.findings(store), tmp_path / "both.json")
    finally:
        store.close()
    path = str(tmp_path / "store")
    assert main(["recheck", str(tmp_path / "holds.json"), path]) == 0
    assert "HOLDS: north vs the rest" in capsys.readouterr().out

    assert main(["recheck", str(tmp_path / "both.json"), path]) == 1
    out = capsys.readouterr().out
    assert "CANNOT BE EVALUATED: a table without a query" in out
    assert "2 finding(s): 1 hold, 0 changed, 1 cannot be evaluated" in out

    # Today's data: every prediction in the north is wrong.
    store = dl.open(path)
    try:
        b = make_batch(6000, seed=9, start=START + pd.Timedelta(days=5))
        ids = store.log(model="credit", **b)
        north = (b["features"]["region"] == "north").to_numpy()
        decided = (b["predictions"] > 0.5).astype(float)
        store.log_labels("credit", ids, np.where(north, 1.0 - decided, decided))
    finally:
        store.close()
    assert main(["recheck", str(tmp_path / "holds.json"), path]) == 1
    out = capsys.readouterr().out
    assert "CHANGED: north vs the rest" in out and "region = 'north'" in out


def test_recheck_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = build(tmp_path / "store")
    try:
        dl.finding("kept", dl.drift(store, "credit"), store=store)
        dl.export(dl.findings(store), tmp_path / "f.json")
    finally:
        store.close()
    path = str(tmp_path / "store")
    assert main(["recheck", str(tmp_path / "missing.json"), path]) == 2
    assert "no such findings file" in capsys.readouterr().err
    obj = json.loads((tmp_path / "f.json").read_text())
    obj["findings"][0]["note"] = "edited"
    write(tmp_path / "edited.json", json.dumps(obj))
    assert main(["recheck", str(tmp_path / "edited.json"), path]) == 2
    assert "finding 'kept'" in capsys.readouterr().err
    write(tmp_path / "junk.json", "{not json")
    assert main(["recheck", str(tmp_path / "junk.json"), path]) == 2
    assert "is not JSON" in capsys.readouterr().err
    assert main(["recheck", str(tmp_path / "f.json"), str(tmp_path / "nowhere")]) == 2


def test_report_then_recheck_holds_on_an_unchanged_store_and_fails_after_a_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A quiet week: no slice degraded beyond the overall change, so one finding is "nothing
    # found"; it is a claim that holds (exit 0), not a finding without a claim (exit 1).
    path = str(copy_sample(tmp_path))
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "report",
                path,
                "--model",
                "credit",
                "--out",
                str(out),
                "--window",
                "2026-01-08..2026-01-15",
            ]
        )
        == 0
    )
    assert "Degraded slices: none beyond the overall change" in capsys.readouterr().out
    degraded = next(
        f for f in json.loads(out.read_text())["findings"] if f["title"].startswith("Degraded")
    )
    assert degraded["claim"]["rows"] == [] and degraded["claim"]["empty"] is True
    assert main(["recheck", str(out), path]) == 0
    assert "0 changed, 0 cannot be evaluated" in capsys.readouterr().out

    # Planted: in that week every prediction in the north is now wrong.
    store = dl.open(path)
    try:
        rng = np.random.default_rng(3)
        n = 3000
        rows = store.table("credit").limit(n).execute()
        features = rows[list(store.schema("credit").features)].reset_index(drop=True)
        features["region"] = "north"
        score = rng.uniform(0.6, 1.0, n)
        when = pd.Timestamp("2026-01-10", tz="UTC") + pd.to_timedelta(rng.uniform(0, 3, n), "D")
        ids = store.log(model="credit", features=features, predictions=score, timestamps=when)
        store.log_labels("credit", ids, np.zeros(n))
    finally:
        store.close()
    assert main(["recheck", str(out), path]) == 1
    text = capsys.readouterr().out
    assert "CHANGED: Degraded slices: none beyond the overall change" in text
    assert "nothing was found; now" in text and "region = 'north'" in text
