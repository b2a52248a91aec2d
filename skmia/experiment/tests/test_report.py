"""The report folder of one run: pooled rows, verdicts, figures, the HTML page,
file modes, the log."""

import base64
import contextlib
import io
import json
import os
import re
import stat

import numpy as np
import pytest

from skmia.__main__ import main
from skmia.experiment import load_config, run_experiment
from skmia.shadow import ShadowModels

from ._fixtures import FAST, set_args

UMASK = 0o027


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One run through the command line, not quiet, under a umask of 027."""
    out = tmp_path_factory.mktemp("report") / "run"
    stdout, stderr = io.StringIO(), io.StringIO()
    old = os.umask(UMASK)
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            assert main(["run", "--output", str(out),
                         *set_args(FAST)]) == 0
    finally:
        os.umask(old)
    results = json.loads((out / "results.json").read_text())
    return out, results, stdout.getvalue(), stderr.getvalue()


def test_pooled_rows_report_tpr_at_one_percent(run):
    out, results, _, _ = run
    pooled = results["pooled"]
    # 800 pool records, each shadow trained on half: 4 turns of 400 non-members
    assert pooled["n_models"] == 4
    assert pooled["n_eval"] == {"members": 1600, "non_members": 1600}
    # only the attacks that learn from shadows have a pooled row
    assert [row["attack"] for row in pooled["attacks"]] == [
        "threshold (signal=loss)", "shadow_model"]
    for row in pooled["attacks"]:
        entry = row["tpr_at_fpr"]["0.01"]
        # 1600 non-members allow 16 false positives at 1% FPR: reported
        assert entry["tpr"] is not None
        assert entry["ci"][0] <= entry["tpr"] <= entry["ci"][1]
        assert row["tpr_at_fpr"]["0.001"]["tpr"] is None  # needs 10,000
    # this model's 200 non-members still refuse 1%
    assert all(row["tpr_at_fpr"]["0.01"]["tpr"] is None for row in results["attacks"])


def test_verdicts_state_each_pooled_tpr_and_name_the_strongest(run):
    out, results, table, _ = run
    pooled = results["pooled"]["attacks"]
    lines = table.splitlines()
    assert "What an attacker finds (models trained this way):" in lines
    for row in pooled:
        entry = row["tpr_at_fpr"]["0.01"]
        low, high = entry["ci"]
        sentence = (f"{row['attack']}: at 1% false alarms, this attack finds "
                    f"{100 * entry['tpr']:.1f}% [{100 * low:.1f}%, {100 * high:.1f}%] "
                    "of the training records (95% interval); a random guess finds 1%.")
        assert sentence in lines
    best = max(pooled, key=lambda r: (r["tpr_at_fpr"]["0.01"]["tpr"], r["auc"]))
    assert results["strongest_attack"] == best["attack"]
    strongest = f"Strongest attack: {best['attack']}."
    assert any(line.startswith(strongest) for line in lines)
    # the eps column states its confidence level
    assert "eps lower bound (95% conf.)" in table


def test_figures_are_readable_images(run):
    from matplotlib.image import imread

    out, _, _, _ = run
    for name in ("roc.png", "scores.png", "exposed.png"):
        image = imread(out / name)
        assert image.ndim == 3 and min(image.shape[:2]) > 100, name
        assert image.std() > 0, name  # not blank


def test_report_html_is_self_contained(run):
    out, results, _, _ = run
    page = (out / "report.html").read_text()
    sources = re.findall(r'src="([^"]*)"', page)
    # every image inlined, byte for byte the PNG of the folder; nothing else loaded
    assert len(sources) == 3
    inlined = [base64.b64decode(s.split(",", 1)[1]) for s in sources]
    assert inlined == [(out / name).read_bytes()
                       for name in ("roc.png", "exposed.png", "scores.png")]
    assert not re.search(r"(href|src)=\"(?!data:)", page)
    assert "http://" not in page and "https://" not in page and "url(" not in page
    # the table (every row), the verdicts, the config and the versions
    for row in results["attacks"] + results["pooled"]["attacks"]:
        assert f"<td>{row['auc']:.3f} [" in page
    assert "this attack finds" in page and "Strongest attack" in page
    assert "n_models: 4" in page and f"<td>{np.__version__}</td>" in page


def test_files_respect_the_umask(run):
    out, _, _, _ = run
    files = [p for p in out.iterdir() if p.is_file()]
    assert {p.name for p in files} >= {
        "results.json", "report.md", "report.html", "scores.csv", "roc.png",
        "scores.png", "exposed.png", "config.yaml", "versions.json", "run.log"}
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~UMASK, path.name


def test_messages_go_to_stderr_and_run_log_and_bars_end_full(run):
    out, results, table, console = run
    log = (out / "run.log").read_text()
    message = "shadow models: 4 trained, 0 reused from the cache"
    assert message in log and message in console
    assert message not in table  # stdout holds the report alone
    assert table.startswith("Dataset: digits")
    # the last frame of the shadows' bar counts every model
    frames = re.findall(r"shadow models:[^\r\n]*?(\d+)/4", console)
    assert frames and frames[-1] == "4"


def test_failed_run_leaves_its_traceback_in_run_log(tmp_path, monkeypatch):
    def broken_fit(self, records, y=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ShadowModels, "fit", broken_fit)
    config = load_config(None, FAST)
    with pytest.raises(RuntimeError, match="disk on fire"):
        run_experiment(config, output=tmp_path / "run", quiet=True)
    log = (tmp_path / "run" / "run.log").read_text()
    assert "Traceback (most recent call last)" in log
    assert "RuntimeError: disk on fire" in log


def test_without_pooled_rows_the_verdict_speaks_of_this_model(tmp_path):
    # a meta-classifier learns from no shadows: no pooled row, and this model's
    # 200 non-members cannot support 1% FPR, which the verdict says plainly
    config = load_config(None, FAST + ["attacks=[{name: meta_classifier}]"])
    results = run_experiment(config, output=tmp_path / "run", quiet=True)
    assert results["pooled"] is None
    report = (tmp_path / "run" / "report.md").read_text()
    assert "What an attacker finds (this model):" in report
    assert ("meta_classifier: at 1% false alarms there are too few non-members to "
            "tell (not reported: FPR 0.01 needs at least 1000 non-members, there "
            f"are 200); its AUC is {results['attacks'][0]['auc']:.3f}") in report
    assert "Strongest attack (by AUC): meta_classifier." in report
