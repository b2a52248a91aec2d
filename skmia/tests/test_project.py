"""The project's promises about itself: README's commands and CI agree."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEST_COMMAND = 'pip install -e ".[test]" && python -m pytest'


@pytest.fixture(scope="module")
def readme():
    path = ROOT / "README.rst"
    if not path.exists() or not (ROOT / ".ci" / "run").exists():
        pytest.skip("not running from a source checkout")
    return path.read_text()


def test_readme_has_exactly_two_setup_commands(readme):
    setup = readme.split("Set up\n------")[1].split("\n----")[0]
    commands = re.findall(r"^    (pip install .+)$", setup, flags=re.M)
    assert commands == ['pip install . && skmia run', TEST_COMMAND]


def _ci_test_step():
    """``.ci/run`` from picking README's test command to judging its status."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("test_cmd="))
    end = next(i for i, line in enumerate(lines) if "CI: slow tests" in line)
    return "\n".join(["set -euo pipefail", *lines[start:end]])


def _run_ci_step(tmp_path, readme_text, status=0):
    """Run the step in a folder holding ``readme_text`` as README.rst.

    ``pip`` and ``python`` are stand-ins that log their arguments; ``python``
    exits with ``status``.
    """
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp_path / "calls.log"
    for name, code in (("pip", 0), ("python", status)):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\nexit {code}\n')
        shim.chmod(0o755)
    (tmp_path / "README.rst").write_text(readme_text)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", _ci_test_step()], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


def test_ci_runs_readmes_exact_test_command(readme, tmp_path):
    done, calls = _run_ci_step(tmp_path, readme)
    assert done.returncode == 0, done.stderr
    assert f"CI: running README's test command: {TEST_COMMAND}\n" in done.stdout
    assert calls == ["pip install -e .[test]", "python -m pytest"]


@pytest.mark.parametrize("status, expected", [(5, 1), (3, 3)])
def test_ci_fails_when_the_tests_fail_or_none_are_collected(readme, tmp_path, status,
                                                            expected):
    # pytest's exit status 5 (no tests collected) is a failure too
    done, _ = _run_ci_step(tmp_path, readme, status=status)
    assert done.returncode == expected
    assert ("collected no tests" in done.stderr) == (status == 5)


def test_ci_refuses_a_readme_without_a_test_command(readme, tmp_path):
    done, calls = _run_ci_step(tmp_path, readme.replace(TEST_COMMAND, "make test"))
    assert done.returncode == 1
    assert "README.rst has no test command" in done.stderr
    assert calls == []


def test_ci_builds_the_docs_with_readmes_command(readme, tmp_path):
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    pick = next(line for line in lines if line.startswith("docs_cmd="))
    (tmp_path / "README.rst").write_text(readme)
    done = subprocess.run(["bash", "-c", f'{pick}\nprintf %s "$docs_cmd"'],
                          cwd=tmp_path, capture_output=True, text=True, check=True)
    documented = re.search(r'^    (pip install -e "\.\[docs\]" && .+)$', readme,
                           flags=re.M).group(1)
    assert done.stdout == documented


def test_import_skmia_does_not_import_torch():
    code = "import sys, skmia, skmia.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
