import csv
import json
import os

import numpy as np
import pytest
import yaml
from sklearn.metrics import roc_auc_score

from skmia.__main__ import main
from skmia.experiment import ConfigError, expand_sweep, load_config, run_experiment
from skmia.shadow import ShadowModels

from ._fixtures import FAST, assert_config_error, set_args


def write_config(tmp_path, text):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_misspelt_attack_key_names_path_and_suggests(tmp_path):
    path = write_config(tmp_path, "attacks:\n  - name: threshold\n"
                                  "  - name: shadow_model\n    n_shadow: 8\n")
    with pytest.raises(ConfigError, match=r"attacks\[1\]\.n_shadow.*'n_shadow_models'"):
        load_config(path)


@pytest.mark.parametrize("override, match", [
    ("shadows.n_modls=4", r"shadows\.n_modls.*'n_models'"),
    ("seed=abc", r"seed: expected an integer"),
    ("split.n_target=1", r"split\.n_target: must be at least 2"),
    ("target.arch=resnet", r"target\.arch.*'resnet18'"),
    ("metrics.fprs=[0.01, 2]", r"metrics\.fprs\[1\]"),
    ("attacks=[]", r"attacks: at least one"),
    ("nonsense=1", r"nonsense: unknown key"),
])
def test_bad_values_are_named(override, match):
    assert_config_error(override, match)


def test_yaml_unknown_nested_key(tmp_path):
    path = write_config(tmp_path, "target:\n  arch: mlp\n  parms: {}\n")
    with pytest.raises(ConfigError, match=r"target\.parms.*'params'"):
        load_config(path)


def test_sweep_expands_to_points():
    config = load_config(None, FAST + [
        "sweep={target.params.module__dropout: [0.0, 0.5], seed: [0, 1]}"])
    points = expand_sweep(config)
    assert len(points) == 4
    assert {(p["target"]["params"]["module__dropout"], p["seed"]) for p in points} == {
        (0.0, 0), (0.0, 1), (0.5, 0), (0.5, 1)}


def test_cli_config_error_exits_before_training(capsys, monkeypatch):
    monkeypatch.setattr(ShadowModels, "fit", lambda *a, **k: pytest.fail("trained"))
    assert main(["run", "--set", "attacks=[{name: shadow_model, n_shadow: 8}]"]) == 2
    assert "attacks[0].n_shadow" in capsys.readouterr().err


def test_impossible_split_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(ShadowModels, "fit", lambda *a, **k: pytest.fail("trained"))
    config = load_config(None, FAST + ["split.n_target=5000"])
    with pytest.raises(ValueError, match="5000"):
        run_experiment(config, output=tmp_path / "run", quiet=True)


def _table_rows(text):
    """The Markdown table rows of a report, as lists of cells (header first)."""
    return [[cell.strip() for cell in line.strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ")]


def test_run_writes_report_and_rerun_is_a_no_op(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", "--output", str(out), "--quiet",
            *set_args(FAST)]
    assert main(argv) == 0
    table = capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    attacks = ["threshold (signal=loss)", "shadow_model", "meta_classifier"]
    assert [row["attack"] for row in results["attacks"]] == attacks
    assert results["shadows"]["trained"] == 4
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["shadows"]["n_models"] == 4
    assert json.loads((out / "versions.json").read_text())["numpy"] == np.__version__

    # report.md is the printed table: one "this model" row per attack, the AUCs
    # of results.json, then the pooled rows of the attacks that learn from shadows
    report = (out / "report.md").read_text()
    assert report.strip() == table.strip()
    header, *rows = _table_rows(report)
    assert header[:3] == ["attack", "rows", "AUC [95% CI]"]
    assert header[3:6] == ["TPR@0.1%FPR", "TPR@1.0%FPR", "TPR@5.0%FPR"]
    assert [row[:2] for row in rows] == [[a, "this model"] for a in attacks] + [
        [a, "trained this way (4 models)"] for a in attacks[:2]]
    for cells, row in zip(rows, results["attacks"]):
        low, high = row["auc_ci"]
        assert cells[2] == f"{row['auc']:.3f} [{low:.3f}, {high:.3f}]"
        # 200 non-members: 0.1% and 1% FPR allow fewer than 10 false positives
        assert cells[3:5] == ["n/a", "n/a"]
        assert row["tpr_at_fpr"]["0.01"]["tpr"] is None
        assert cells[5].startswith(f"{row['tpr_at_fpr']['0.05']['tpr']:.3f} [")
    assert "Note (this model): not reported: FPR 0.01 needs at least 1000 " \
           "non-members, there are 200." in report

    # scores.csv: one row per audited record, one column per attack, sorted by
    # the strongest attack's score and ranked; the scores give the AUCs of
    # results.json: written with 9 significant digits (enough to round-trip a
    # float32 signal), they keep their ranks
    with open(out / "scores.csv", newline="") as f:
        header, *lines = csv.reader(f)
    assert header == ["rank", "record", "label", "membership", *attacks]
    scores = np.array(lines, dtype=np.float64)
    assert scores.shape == (400, 7) and scores[:, 3].sum() == 200
    assert scores[:, 0].tolist() == list(range(1, 401))
    assert sorted(scores[:, 1].tolist()) == list(range(400))
    strongest = 4 + attacks.index(results["strongest_attack"])
    assert np.all(np.diff(scores[:, strongest]) <= 0)
    for column, row in enumerate(results["attacks"], start=4):
        assert roc_auc_score(scores[:, 3], scores[:, column]) == pytest.approx(
            row["auc"], abs=1e-12)

    # roc.png is a readable image
    from matplotlib.image import imread

    image = imread(out / "roc.png")
    assert image.ndim == 3 and min(image.shape[:2]) > 100
    assert image.std() > 0  # not blank

    # a rerun trains nothing and reprints the table
    before = os.path.getmtime(out / "results.json")
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == table.strip()
    assert os.path.getmtime(out / "results.json") == before


def test_attacks_without_shadows_train_none(tmp_path, monkeypatch):
    # which attacks need shadows is read from the built attacks: a threshold
    # given by the user and a meta-classifier learn from none
    monkeypatch.setattr(ShadowModels, "fit", lambda *a, **k: pytest.fail("trained"))
    config = load_config(None, FAST + [
        "attacks=[{name: threshold, signal: loss, threshold: 0.5}, "
        "{name: meta_classifier}]"])
    results = run_experiment(config, output=tmp_path / "run", quiet=True)
    assert results["shadows"] is None
    assert [row["attack"] for row in results["attacks"]] == [
        "threshold (signal=loss, threshold=0.5)", "meta_classifier"]


def test_killed_run_resumes_with_the_same_results(tmp_path, monkeypatch):
    config = load_config(None, FAST)
    reference = run_experiment(config, output=tmp_path / "reference", quiet=True)

    original = ShadowModels._progress

    def killed_at_third(self, results, total):
        # the third model has finished (and is checkpointed) when the kill lands
        for i, result in enumerate(original(self, results, total)):
            if i == 2:
                raise KeyboardInterrupt("killed")
            yield result

    monkeypatch.setattr(ShadowModels, "_progress", killed_at_third)
    with pytest.raises(KeyboardInterrupt):
        run_experiment(config, output=tmp_path / "run", quiet=True)
    assert not (tmp_path / "run" / "results.json").exists()
    monkeypatch.setattr(ShadowModels, "_progress", original)
    resumed = run_experiment(config, output=tmp_path / "run", quiet=True)
    assert resumed["shadows"]["reused"] == 3 and resumed["shadows"]["trained"] == 1
    for got, want in zip(resumed["attacks"], reference["attacks"]):
        assert got["auc"] == want["auc"]


def test_sweep_writes_gap_plot_and_correlation(tmp_path):
    config = load_config(None, FAST + [
        "attacks=[{name: threshold, signal: loss}]",
        "sweep={target.params.max_epochs: [1, 4, 30]}"])
    results = run_experiment(config, output=tmp_path / "sweep", quiet=True)
    assert len(results["points"]) == 3
    from matplotlib.image import imread

    assert imread(tmp_path / "sweep" / "gap_vs_leakage.png").std() > 0
    assert (tmp_path / "sweep" / "point-002" / "results.json").exists()
    gaps = [p["target"]["generalization_gap"] for p in results["points"]]
    aucs = [p["attacks"][0]["auc"] for p in results["points"]]
    from scipy.stats import pearsonr

    assert results["gap_leakage_correlation"] == pytest.approx(pearsonr(gaps, aucs)[0])
    assert "Pearson r" in (tmp_path / "sweep" / "report.md").read_text()
    # the sweep's page shows its table and inlines the gap plot
    page = (tmp_path / "sweep" / "report.html").read_text()
    assert "Pearson r" in page and 'alt="gap_vs_leakage.png"' in page


def test_defense_settings_are_checked_and_dp_params_override_target_params(tmp_path):
    with pytest.raises(ConfigError, match="kind 'none' takes no params"):
        load_config(None, ["target.defense.params={module__dropout: 0.5}"])
    with pytest.raises(ConfigError, match=r"split\.n_pool: must be at least 1"):
        load_config(None, ["split.n_pool=0"])
    from skmia.experiment._audit import make_estimator

    config = load_config(None, FAST + [
        "target.defense={kind: dp, params: {lr: 0.5, noise_multiplier: 2.0}}"])
    net = make_estimator(config["target"], np.zeros((10, 1, 8, 8), np.float32), 10,
                         seed=0)
    assert type(net).__name__ == "DPNeuralNetClassifier"
    assert net.lr == 0.5 and net.noise_multiplier == 2.0
