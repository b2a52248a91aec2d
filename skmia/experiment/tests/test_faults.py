"""``skmia run`` under faults: Ctrl-C, SIGKILL, resuming, two runs on one folder.

These train (a small CNN on digits, 6 shadows on 2 workers) in subprocesses,
so they are marked slow. Every subprocess runs in its own session and is
killed, with its process group, when a test ends.
"""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
psutil = pytest.importorskip("psutil")

N_MODELS = 6
SETTINGS = [
    "target.params.max_epochs=20",
    "split.n_target=200",
    "split.n_pool=400",
    f"shadows.n_models={N_MODELS}",
    "shadows.n_jobs=2",
    "metrics.n_bootstraps=20",
    "attacks=[{name: threshold, signal: loss}, {name: lira, fixed_variance: true}]",
]


def _start(out, log):
    """``skmia run`` in its own session; its stderr goes to the file ``log``
    (a pipe would stay open as long as any worker holds it)."""
    argv = [sys.executable, "-m", "skmia", "run", "--output", str(out), "--quiet"]
    argv += [arg for item in SETTINGS for arg in ("--set", item)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with open(log, "w") as err:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err,
                                   env=env, start_new_session=True)
    process.log = Path(log)
    return process


def _finish(process, timeout):
    """Wait for ``process``; its exit status and stderr."""
    code = process.wait(timeout=timeout)
    return code, process.log.read_text()


@pytest.fixture
def runs(tmp_path):
    """Start ``skmia run`` processes; kill what is left of them afterwards."""
    started = []

    def start(out):
        process = _start(out, tmp_path / f"stderr-{len(started)}.txt")
        started.append(process)
        return process

    yield start
    for process in started:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)


def _checkpoints(out):
    return len(list(Path(out).glob("cache/joblib/**/_fit_one_shadow/*/output.pkl")))


def _wait_for(condition, timeout=300):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.1)


def _alive(processes):
    alive = []
    for p in processes:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def _workers(process):
    """The run's children (loky workers, resource trackers), once there are two."""
    parent = psutil.Process(process.pid)
    _wait_for(lambda: len(parent.children(recursive=True)) >= 2)
    return parent.children(recursive=True)


def _kill_during_shadows(start, out, at_least):
    """Start a run, SIGKILL it once ``at_least`` shadows are checkpointed, and
    check that none of its processes is alive 10 s later."""
    process = start(out)
    _wait_for(lambda: _checkpoints(out) >= at_least)
    children = _workers(process)
    assert _checkpoints(out) < N_MODELS, "the shadows finished before the kill"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    time.sleep(10)
    assert _alive(children) == []
    return _checkpoints(out)


def test_sigkill_leaves_no_worker_and_two_resumes_match_a_clean_run(
        runs, tmp_path):
    clean = runs(tmp_path / "clean")
    assert _finish(clean, 600)[0] == 0
    out = tmp_path / "killed"
    first = _kill_during_shadows(runs, out, at_least=1)
    # nothing is written after the parent died
    time.sleep(2)
    assert _checkpoints(out) == first
    second = _kill_during_shadows(runs, out, at_least=first + 2)
    assert second > first
    code, err = _finish(runs(out), 600)
    assert code == 0, err
    assert (out / "scores.csv").read_bytes() == \
        (tmp_path / "clean" / "scores.csv").read_bytes()


def test_ctrl_c_keeps_finished_models_and_says_how_to_resume(runs, tmp_path):
    out = tmp_path / "out"
    process = runs(out)
    _wait_for(lambda: _checkpoints(out) >= 1)
    children = _workers(process)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    code, err = _finish(process, 120)
    assert code == 130, err
    last = err.strip().splitlines()[-1]
    match = re.fullmatch(r"skmia: interrupted after (\d+) of (\d+) shadow models; "
                         r"rerun the same command to resume", last)
    assert match, last
    assert int(match[2]) == N_MODELS and int(match[1]) >= 1
    assert _checkpoints(out) == int(match[1])  # every finished model kept
    time.sleep(10)
    assert _alive(children) == []


def test_second_run_on_a_folder_in_use_fails_at_once(runs, tmp_path):
    out = tmp_path / "out"
    first = runs(out)
    _wait_for(lambda: (out / ".skmia-run.lock").exists())
    second = runs(out)
    start = time.monotonic()
    code, err = _finish(second, 120)
    assert code == 4, err
    assert f"in use by another skmia run (process {first.pid}" in err
    assert time.monotonic() - start < 30
    code, err = _finish(first, 600)
    assert code == 0, err
    assert (out / "results.json").exists() and not (out / ".skmia-run.lock").exists()
