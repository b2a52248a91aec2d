"""``report.html``: one self-contained page (images inlined, nothing fetched)."""

import base64
import html

__all__ = ["render_html"]

_STYLE = """
body { font-family: sans-serif; max-width: 70em; margin: 2em auto; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; }
th { background: #eee; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; }
img { max-width: 100%; border: 1px solid #ddd; }
.verdict { font-size: 1.05em; }
"""

#: The figures of a report folder, in page order, with their headings.
FIGURES = (("roc.png", "ROC curves (log-log)"),
           ("exposed.png", "The most exposed records"),
           ("scores.png", "Scores of members and non-members"),
           ("gap_vs_leakage.png", "Generalization gap and leakage"))


def _table(header, rows):
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _paragraphs(lines, css=None):
    attr = f' class="{css}"' if css else ""
    return "".join(f"<p{attr}>{html.escape(line)}</p>" for line in lines)


def _image(name, heading, data):
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (f"<h2>{html.escape(heading)}</h2>"
            f'<img src="{uri}" alt="{html.escape(name)}">')


def render_html(results, *, config_text, versions, images):
    """The report page of a run or a sweep.

    Parameters
    ----------
    results : dict
        What ``results.json`` holds.
    config_text : str
        The resolved config as YAML.
    versions : dict
        Library name -> version.
    images : dict
        File name (one of :data:`FIGURES`) -> PNG bytes; absent ones are
        left out.

    Returns
    -------
    page : str
        HTML with every image as a ``data:`` URI and no external reference.
    """
    from ._report import (
        format_sweep_table,
        one_run_lines,
        run_summary,
        table_notes,
        table_rows,
    )
    from ._verdict import verdicts

    parts = ["<h1>skmia membership inference report</h1>"]
    if "points" in results:
        parts.append(f"<pre>{html.escape(format_sweep_table(results))}</pre>")
    else:
        header, rows = table_rows(results)
        parts += [_paragraphs(run_summary(results)), _table(header, rows),
                  _paragraphs(table_notes(results)),
                  "<h2>What this means</h2>", _paragraphs(verdicts(results), "verdict")]
        if results.get("one_run_audit"):
            parts += ["<h2>Claimed epsilon vs. epsilon shown in one run</h2>",
                      _paragraphs(one_run_lines(results))]
    parts += [_image(name, heading, images[name]) for name, heading in FIGURES
              if name in images]
    parts.append("<h2>Configuration</h2>")
    parts.append(f"<pre>{html.escape(config_text)}</pre>")
    parts.append("<h2>Versions</h2>")
    parts.append(_table(["library", "version"],
                        [[name, str(version)] for name, version in versions.items()]))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>skmia report</title>"
            f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>\n")
