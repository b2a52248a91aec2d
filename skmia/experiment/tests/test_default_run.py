"""README's first command: the embedded default prints low-FPR figures and
verdicts, writes the shareable report, and a rerun trains nothing."""

import json
import re

import pytest

from skmia.__main__ import main

pytestmark = pytest.mark.slow  # a few minutes on 2 cores: the whole default


def test_default_run_prints_pooled_tpr_and_verdicts_and_rerun_trains_nothing(
        tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--output", str(out)]) == 0
    printed = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())

    # pooled rows with numeric TPR at 1% FPR and an interval, from >= 1,000
    # pooled non-members (and 0.1% from >= 10,000)
    assert results["pooled"]["n_eval"]["non_members"] >= 10_000
    pooled_rows = [line for line in printed.splitlines() if line.startswith("| ")
                   and "| trained this way (16 models) |" in line]
    assert len(pooled_rows) == 4
    number = r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]"
    for line in pooled_rows:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        assert re.fullmatch(number, cells[3]) and re.fullmatch(number, cells[4])
    # the verdict sentences and the strongest attack
    assert printed.count("at 1% false alarms, this attack finds") == 4
    assert f"Strongest attack: {results['strongest_attack']}." in printed
    for name in ("report.html", "exposed.png", "scores.png", "roc.png", "run.log"):
        assert (out / name).stat().st_size > 0, name

    # a finished run rerun does nothing but reprint its table
    assert main(["run", "--output", str(out)]) == 0
    again = capsys.readouterr()
    assert "already complete" in again.err
    assert again.out.split("\n\nReport written")[0] == printed.split(
        "\n\nReport written")[0]

    # and a run killed before its results were written trains nothing again
    (out / "results.json").unlink()
    assert main(["run", "--output", str(out), "--quiet"]) == 0
    resumed = json.loads((out / "results.json").read_text())
    assert resumed["shadows"]["trained"] == 0 and resumed["shadows"]["reused"] == 16
    assert "target: reused from the cache" in (out / "run.log").read_text()
    assert resumed["pooled"]["attacks"] == results["pooled"]["attacks"]
