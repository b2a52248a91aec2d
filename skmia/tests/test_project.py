"""The project's promises about itself: README's commands and CI agree."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def readme():
    path = ROOT / "README.rst"
    if not path.exists():
        pytest.skip("not running from a source checkout")
    return path.read_text()


def test_readme_has_exactly_two_setup_commands(readme):
    setup = readme.split("Set up\n------")[1].split("\n----")[0]
    commands = re.findall(r"^    (pip install .+)$", setup, flags=re.M)
    assert commands == ['pip install . && skmia run',
                        'pip install -e ".[test]" && python -m pytest']


def test_ci_runs_readmes_test_command(readme):
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'grep -E \'^    pip install -e "\\.\\[test\\]" && \' README.rst' in ci
    assert 'bash -c "$test_cmd"' in ci
    assert "-eq 5" in ci  # pytest's "no tests collected" is handled on purpose


def test_import_skmia_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, skmia, skmia.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
