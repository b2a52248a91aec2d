"""The command line: --version, --dry-run, report, and one error line per failure."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import skmia
from skmia.__main__ import main
from skmia.targets import TensorNeuralNetClassifier

from ._fixtures import FAST_SHADOWS, set_args

CONFIGS = Path(__file__).parents[3] / "configs"
# A small, fast experiment: a narrow MLP on digits, 4 shadows, two attacks.
FAST = FAST_SHADOWS + [
    "metrics.n_bootstraps=20",
    "attacks=[{name: threshold, signal: loss}, {name: lira, fixed_variance: true}]",
]


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any network is trained."""
    monkeypatch.setattr(TensorNeuralNetClassifier, "fit",
                        lambda *a, **k: pytest.fail("a network was trained"))


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"skmia {skmia.__version__}"


@pytest.mark.parametrize("config", [None, "default.yaml", "fashion_mnist_smallcnn.yaml",
                                    "cifar10_resnet18.yaml"])
def test_dry_run_of_shipped_configs_trains_and_writes_nothing(
        config, tmp_path, capsys, no_training):
    out = tmp_path / "out"
    argv = ["run", *([str(CONFIGS / config)] if config else []), "--output", str(out),
            "--dry-run"]
    assert main(argv) == 0
    plan = capsys.readouterr().out
    assert f"plan for {out}/" in plan
    assert "members" in plan and "shadow models:" in plan and "attacks:" in plan
    assert not out.exists()


def test_dry_run_counts_cached_models_and_report_reprints(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--output", str(out), "--quiet", *set_args(FAST)]) == 0
    table = capsys.readouterr().out
    assert main(["run", "--output", str(out), "--dry-run", *set_args(FAST)]) == 0
    plan = capsys.readouterr().out
    assert "target: mlp, defense none, cached" in plan
    assert "shadow models: 4 (4 cached, 0 to train" in plan
    # one more shadow model: the first four are cached, one is to train
    assert main(["run", "--output", str(out), "--dry-run",
                 *set_args(FAST + ["shadows.n_models=6"])]) == 0
    assert "shadow models: 6 (4 cached, 2 to train" in capsys.readouterr().out
    assert main(["report", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (out / "report.md").read_text().strip()
    assert table.strip().startswith((out / "report.md").read_text().strip()[:40])


def test_report_of_a_folder_without_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 4
    assert capsys.readouterr().err.startswith(f"skmia: error: {tmp_path}: no finished")


DP = ["target.defense.kind=dp"]


@pytest.mark.parametrize("overrides, code, message", [
    (["target.params.max_epoch=3"],
     2, "target.params.max_epoch: not a parameter of TensorNeuralNetClassifier; did "
        "you mean 'max_epochs'?"),
    (["target.params.max_epochs=abc"],
     2, "target.params.max_epochs: expected an integer, got 'abc'"),
    (["target.params.module__dropuot=0.5"],
     2, "target.params.module__dropuot: SmallCNN has no parameter 'dropuot'; did you "
        "mean 'dropout'?"),
    (["seed=[1"], 2, "--set 'seed=[1': the value is not valid YAML"),
    (["shadows.n_models=1000000000"], 2, "shadows.n_models: 1000000000 shadow models"),
    (["split.n_target=5000"], 2, "split: make_membership_split"),
    (["attacks=[{name: lira, n_shadow_models: 64}]"],
     2, "attacks[0].n_shadow_models: 64 is more than the 16 shadow models"),
    (["attacks=[{name: lira, online: maybe}]"],
     2, "attacks[0]: The 'online' parameter"),
    (DP + ["target.defense.params.noise_multiplier=-1"],
     2, "target.defense.params.noise_multiplier: The 'noise_multiplier' parameter"),
    (DP + ["target.defense.params.max_grad_norm=0"],
     2, "target.defense.params.max_grad_norm: The 'max_grad_norm' parameter"),
    (DP + ["target.defense.params.target_epsilon=0.0001"],
     2, "target.defense.params.target_epsilon: 0.0001 cannot be reached"),
    (DP + ["target.arch=resnet18", "target.params.module__norm=batch"],
     2, "target.params: DPNeuralNetClassifier cannot be built"),
    (["dataset.name=fashion_mnist", "dataset.params={data_home: NOWHERE}"],
     3, "Fashion-MNIST"),
    (["dataset.params={data_hom: x}"],
     2, "dataset.params.data_hom: not a parameter of load_digits_images"),
    (["dataset.name=cifar10", "dataset.params={download: yes please}"],
     2, "dataset.params.download: expected true or false"),
])
def test_each_failure_is_one_line_and_nothing_is_written(
        overrides, code, message, tmp_path, capsys, no_training):
    overrides = [o.replace("NOWHERE", str(tmp_path / "none")) for o in overrides]
    out = tmp_path / "out"
    assert main(["run", "--output", str(out), *set_args(overrides)]) == code
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("skmia: error: ")
    assert message in lines[0]
    assert not out.exists()


def test_missing_config_file_is_a_config_error(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: cannot read the config" in capsys.readouterr().err


def test_unusable_output_folder(tmp_path, capsys, no_training):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    assert main(["run", "--output", str(a_file)]) == 4
    assert "exists and is not a folder" in capsys.readouterr().err
    assert main(["run", "--output", str(a_file / "sub")]) == 4
    assert "cannot write there" in capsys.readouterr().err
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        assert main(["run", "--output", str(locked)]) == 4
        assert "cannot write there" in capsys.readouterr().err


def test_folder_in_use_by_a_live_process_is_refused(tmp_path, capsys, no_training):
    out = tmp_path / "out"
    out.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".skmia-run.lock").write_text(
            f'{{"pid": {other.pid}, "host": "{os.uname().nodename}", '
            '"started": "2026-01-01T00:00:00"}')
        assert main(["run", "--output", str(out), *set_args(FAST)]) == 4
        err = capsys.readouterr().err
        assert f"is in use by another skmia run (process {other.pid}" in err
    finally:
        other.kill()
        other.wait()


def test_stale_lock_is_taken_over(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (out / ".skmia-run.lock").write_text(
        f'{{"pid": {gone.pid}, "host": "{os.uname().nodename}", '
        '"started": "2026-01-01T00:00:00"}')
    assert main(["run", "--output", str(out), "--quiet", *set_args(FAST)]) == 0
    assert (out / "results.json").exists()
    assert not (out / ".skmia-run.lock").exists()


@pytest.mark.parametrize("mark", [None, '{"skmia": "0.0.1"}'])
def test_foreign_cache_is_refused_not_unpickled(tmp_path, capsys, no_training, mark):
    cache = tmp_path / "out" / "cache"
    cache.mkdir(parents=True)
    (cache / "something.pkl").write_bytes(b"not ours")
    if mark:
        (cache / "skmia-cache.json").write_text(mark)
    before = sorted(os.listdir(cache))
    for extra in (["--dry-run"], []):
        assert main(["run", "--output", str(tmp_path / "out"), *extra,
                     *set_args(FAST)]) == 4
        err = capsys.readouterr().err
        assert "its pickles are not loaded" in err
        assert ("skmia 0.0.1" in err) if mark else ("no skmia-cache.json" in err)
        assert sorted(os.listdir(cache)) == before  # refused before it is probed


def test_cache_of_other_data_is_refused_other_settings_reuse_it(tmp_path, capsys):
    from skmia.experiment import load_config, run_experiment

    out = tmp_path / "out"
    assert main(["run", "--output", str(out), "--quiet", *set_args(FAST)]) == 0
    cache = out / "cache"
    before = sorted(map(str, cache.rglob("*")))
    for other, named in [("seed=1", "seed: 0 there, 1 here"),
                         ("split.n_pool=300", "split.n_pool: 400 there, 300 here")]:
        for extra in (["--dry-run"], []):
            capsys.readouterr()
            assert main(["run", "--output", str(out), *extra,
                         *set_args(FAST + [other])]) == 4
            err = capsys.readouterr().err
            assert "models trained on other data" in err and named in err
        with pytest.raises(OSError, match="models trained on other data"):
            run_experiment(load_config(None, FAST + [other]), output=out, quiet=True)
    assert sorted(map(str, cache.rglob("*"))) == before  # nothing read or written
    # target and shadow-count settings are not data: the cache serves them
    assert main(["run", "--output", str(out), "--dry-run",
                 *set_args(FAST + ["shadows.n_models=5",
                                   "target.params.lr=0.002"])]) == 0


def test_cache_mark_records_each_sweep_points_data(tmp_path):
    import numpy as np

    from skmia.experiment import expand_sweep, load_config
    from skmia.experiment._cache_trust import check_cache, data_identity, is_marked
    from skmia.experiment._cli_errors import OutputError

    cache = str(tmp_path / "cache")
    swept = load_config(None, FAST + ["sweep={seed: [0, 1]}"])
    check_cache(cache, swept)
    assert all(is_marked(cache, point) for point in expand_sweep(swept))
    # one point of the sweep, as its own run, reuses the cache; other data do not
    check_cache(cache, load_config(None, FAST + ["seed=1"]))
    with pytest.raises(OutputError, match="seed: 0 there, 5 here"):
        check_cache(cache, load_config(None, FAST + ["seed=5"]))
    # a new seed next to a known one is added to the mark
    check_cache(cache, load_config(None, FAST + ["sweep={seed: [1, 2]}"]))
    assert is_marked(cache, load_config(None, FAST + ["seed=2"]))
    # the same data however it is written: numpy ints, loader defaults
    config = load_config(None, FAST)
    assert data_identity({**config, "seed": np.int64(0)}) == data_identity(config)
    fashion = load_config(None, ["dataset.name=fashion_mnist"])
    explicit = load_config(None, ["dataset.name=fashion_mnist",
                                  "dataset.params.subset=train",
                                  "dataset.params.download=true"])
    assert data_identity(explicit) == data_identity(fashion)


def test_cache_mark_without_data_hash_is_refused(tmp_path, capsys):
    cache = tmp_path / "out" / "cache"
    cache.mkdir(parents=True)
    (cache / "skmia-cache.json").write_text(f'{{"skmia": "{skmia.__version__}"}}')
    assert main(["run", "--output", str(tmp_path / "out"), "--dry-run",
                 *set_args(FAST)]) == 4
    assert "records no data hash" in capsys.readouterr().err


def test_empty_cache_folder_made_in_advance_is_used(tmp_path, capsys):
    cache = tmp_path / "out" / "cache"
    cache.mkdir(parents=True)
    assert main(["run", "--output", str(tmp_path / "out"), "--dry-run",
                 *set_args(FAST)]) == 0
    assert os.listdir(cache) == []  # a dry run writes nothing, not even there
    assert main(["run", "--output", str(tmp_path / "out"), "--quiet",
                 *set_args(FAST)]) == 0
    assert (cache / "skmia-cache.json").exists()


def test_unexpected_error_is_one_line_with_traceback_in_run_log(
        tmp_path, capsys, monkeypatch):
    from skmia.shadow import ShadowModels

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ShadowModels, "fit", boom)
    out = tmp_path / "out"
    assert main(["run", "--output", str(out), "--quiet", *set_args(FAST)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["skmia: error: boom", f"skmia: the traceback is in {out}/run.log"]
    log = (out / "run.log").read_text()
    assert log.count("Traceback (most recent call last)") == 1
    assert "RuntimeError: boom" in log
    assert main(["run", "--output", str(out), "--quiet", "--debug", *set_args(FAST)]) == 1
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_interrupt_message_and_exit_status(tmp_path, capsys, monkeypatch):
    import skmia.experiment

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(skmia.experiment, "run_experiment", interrupted)
    assert main(["run", "--output", str(tmp_path / "out"), *set_args(FAST)]) == 130
    assert capsys.readouterr().err.strip() == (
        "skmia: interrupted after 0 of 4 shadow models; rerun the same command to "
        "resume")


def test_lock_from_another_host_names_the_file_to_delete(tmp_path, capsys, no_training):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".skmia-run.lock").write_text(
        '{"pid": 1, "host": "another-container", "started": "2026-01-01T00:00:00"}')
    assert main(["run", "--output", str(out), *set_args(FAST)]) == 4
    err = capsys.readouterr().err
    assert "on another-container" in err
    assert f"delete {out / '.skmia-run.lock'}" in err
