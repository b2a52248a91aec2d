import json
import os

import numpy as np
import pytest
import yaml

from skmia.__main__ import main
from skmia.experiment import ConfigError, expand_sweep, load_config, run_experiment
from skmia.shadow import ShadowModels

# A small, fast experiment: a narrow MLP on digits, 4 shadows, three attacks.
FAST = [
    "target.arch=mlp",
    "target.params.max_epochs=8",
    "split.n_target=200",
    "split.n_pool=400",
    "shadows.n_models=4",
    "shadows.n_jobs=1",
    "metrics.n_bootstraps=50",
    "attacks=[{name: threshold, signal: loss}, {name: shadow_model}, "
    "{name: meta_classifier}]",
]


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
    with pytest.raises(ConfigError, match=match):
        load_config(None, [override])


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


def test_run_writes_report_and_rerun_is_a_no_op(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "--output", str(out), "--quiet", *sum([["--set", s] for s in FAST], [])]) == 0
    table = capsys.readouterr().out
    for name in ("results.json", "report.md", "roc.png", "scores.csv", "config.yaml",
                 "versions.json"):
        assert (out / name).stat().st_size > 0, name
    results = json.loads((out / "results.json").read_text())
    assert [row["attack"] for row in results["attacks"]] == [
        "threshold (signal=loss)", "shadow_model", "meta_classifier"]
    assert results["shadows"]["trained"] == 4
    assert "| threshold (signal=loss) |" in table
    resolved = yaml.safe_load((out / "config.yaml").read_text())
    assert resolved["shadows"]["n_models"] == 4
    # per-record scores agree with the AUC in results.json
    from sklearn.metrics import roc_auc_score

    scores = np.genfromtxt(out / "scores.csv", delimiter=",", skip_header=1)
    assert scores.shape == (400, 6)
    assert roc_auc_score(scores[:, 2], scores[:, 3]) == pytest.approx(
        results["attacks"][0]["auc"])
    # a rerun trains nothing and reprints the table
    before = os.path.getmtime(out / "results.json")
    assert main(["run", "--output", str(out), "--quiet", *sum([["--set", s] for s in FAST], [])]) == 0
    assert capsys.readouterr().out.strip() == table.strip()
    assert os.path.getmtime(out / "results.json") == before


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
    assert (tmp_path / "sweep" / "gap_vs_leakage.png").stat().st_size > 0
    assert (tmp_path / "sweep" / "point-002" / "results.json").exists()
    gaps = [p["target"]["generalization_gap"] for p in results["points"]]
    aucs = [p["attacks"][0]["auc"] for p in results["points"]]
    from scipy.stats import pearsonr

    assert results["gap_leakage_correlation"] == pytest.approx(pearsonr(gaps, aucs)[0])
    assert "Pearson r" in (tmp_path / "sweep" / "report.md").read_text()


def test_defense_settings_are_checked_and_dp_params_override_target_params(tmp_path):
    with pytest.raises(ConfigError, match="kind 'none' takes no params"):
        load_config(None, ["target.defense.params={module__dropout: 0.5}"])
    with pytest.raises(ConfigError, match=r"split\.n_pool: must be at least 1"):
        load_config(None, ["split.n_pool=0"])
    from skmia.experiment._run import _make_estimator

    config = load_config(None, FAST + [
        "target.defense={kind: dp, params: {lr: 0.5, noise_multiplier: 2.0}}"])
    net = _make_estimator(config, np.zeros((10, 1, 8, 8), np.float32), 10)
    assert type(net).__name__ == "DPNeuralNetClassifier"
    assert net.lr == 0.5 and net.noise_multiplier == 2.0
