"""report.html in a real browser: headless Chromium shows the table and every
image, and fetches nothing."""

import html
import json
import re
import shutil
import subprocess

import pytest

from skmia.experiment import load_config, run_experiment

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="needs the chromium browser (Debian: "
                       "apt-get install chromium; .ci/run installs it)"),
]

# Blocks (and reports) any request that is not a data: URI or the page's inline
# style and scripts; the scripts record what the page showed once loaded.
CHECK_HEAD = """<meta http-equiv="Content-Security-Policy" content="default-src 'none';
 img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<script>window.violations = [];
document.addEventListener("securitypolicyviolation",
  e => window.violations.push(e.blockedURI));</script>"""
CHECK_BODY = """<script>window.addEventListener("load", () => {
  const out = {
    images: [...document.images].map(i => ({width: i.naturalWidth, done: i.complete,
                                             scheme: i.src.split(":")[0]})),
    rows: document.querySelector("table").rows.length,
    resources: performance.getEntriesByType("resource").map(e => e.name)
                 .filter(n => !n.startsWith("data:")),
    violations: window.violations};
  const pre = document.createElement("pre");
  pre.id = "skmia-check";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});</script>"""


def _chromium(*args):
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=120, check=True)


def test_report_html_renders_in_chromium(tmp_path):
    config = load_config(None, [
        "target.arch=mlp", "target.params.max_epochs=8", "split.n_target=200",
        "split.n_pool=400", "shadows.n_models=4", "shadows.n_jobs=1",
        "metrics.n_bootstraps=50"])
    results = run_experiment(config, output=tmp_path / "run", quiet=True)
    page = (tmp_path / "run" / "report.html").read_text()
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("<head>", "<head>" + CHECK_HEAD, 1)
                       .replace("</body>", CHECK_BODY + "</body>", 1))

    dom = _chromium("--dump-dom", checked.as_uri()).stdout
    found = re.search(r'<pre id="skmia-check">(.*?)</pre>', dom, re.S)
    assert found, "the check script did not run"
    check = json.loads(html.unescape(found.group(1)))
    # roc.png, exposed.png, scores.png: all decoded (a broken image has width 0)
    assert len(check["images"]) == 3
    for image in check["images"]:
        assert image["done"] and image["width"] > 0 and image["scheme"] == "data"
    # the header and one row per attack, this model's and the pooled ones
    n_rows = len(results["attacks"]) + len(results["pooled"]["attacks"])
    assert check["rows"] == 1 + n_rows
    assert check["resources"] == [] and check["violations"] == []

    # and the page as it is (no check scripts) renders to a non-blank screenshot
    shot = tmp_path / "report.png"
    _chromium(f"--screenshot={shot}", "--window-size=1200,2400",
              (tmp_path / "run" / "report.html").as_uri())
    from matplotlib.image import imread

    assert imread(shot).std() > 0
