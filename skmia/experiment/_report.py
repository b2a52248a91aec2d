"""Markdown tables of experiment results (and their cells, for the HTML page)."""

__all__ = ["format_sweep_table", "format_table", "run_summary", "table_notes",
           "table_rows"]


def _fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ci(ci):
    return "" if ci is None else f" [{ci[0]:.3f}, {ci[1]:.3f}]"


def table_rows(results):
    """The table of one run as a header and rows of cell texts.

    "this model" rows are the audited target's; "trained this way" rows pool
    every shadow model playing the target in turn (same recipe, thousands of
    non-members), when the run has them.
    """
    first = results["attacks"][0] if results["attacks"] else {}
    fprs = list(first.get("tpr_at_fpr", {}))
    # results.json written before rows stated their level hold 95% intervals
    level = first.get("confidence", 0.95)
    eps_level = first.get("epsilon_confidence", 0.95)
    header = ["attack", "rows", f"AUC [{100 * level:g}% CI]",
              *[f"TPR@{float(f):.1%}FPR" for f in fprs],
              "advantage", f"eps lower bound ({100 * eps_level:g}% conf.)"]
    pooled = results.get("pooled") or {}
    groups = [("this model", results["attacks"])]
    if pooled.get("attacks"):
        groups.append((f"trained this way ({pooled['n_models']} models)",
                       pooled["attacks"]))
    rows = []
    for who, group in groups:
        for row in group:
            cells = [row["attack"], who, f"{row['auc']:.3f}{_ci(row['auc_ci'])}"]
            for f in fprs:
                entry = row["tpr_at_fpr"][f]
                cells.append(_fmt(entry["tpr"]) + _ci(entry["ci"]))
            cells += [_fmt(row["advantage"]), _fmt(row["epsilon_lower_bound"])]
            rows.append(cells)
    return header, rows


def run_summary(results):
    """The lines above the table: data, target, accuracies, evaluated records."""
    t = results["target"]
    defense = t["defense"]
    if t.get("defense_params"):
        params = t["defense_params"].items()
        defense += " (" + ", ".join(f"{k}={v}" for k, v in params) + ")"
    eps = t.get("epsilon")
    lines = [
        f"Dataset: {results['dataset']}; target: {t['arch']}; defense: {defense}.",
        f"Train accuracy {t['train_accuracy']:.3f}, "
        f"test accuracy {t['test_accuracy']:.3f},"
        f" gap {t['generalization_gap']:.3f}"
        + (f"; DP epsilon {eps if isinstance(eps, str) else format(eps, '.3g')} "
           f"(delta {t['delta']:.0e})" if eps is not None else "") + ".",
        f"This model: evaluated on {results['n_eval']['members']} members and "
        f"{results['n_eval']['non_members']} non-members.",
    ]
    pooled = results.get("pooled") or {}
    if pooled.get("attacks"):
        lines.append(
            f"Trained this way: each of {pooled['n_models']} shadow models, trained "
            "with the same recipe, plays the target in turn; "
            f"{pooled['n_eval']['members']} members and "
            f"{pooled['n_eval']['non_members']} non-members pooled.")
    return lines


def table_notes(results):
    """Why some TPRs are not reported, once per reason and kind of rows."""
    lines = []
    for who, rows in (("this model", results["attacks"]),
                      ("trained this way",
                       (results.get("pooled") or {}).get("attacks") or [])):
        notes = {entry["note"] for row in rows
                 for entry in row["tpr_at_fpr"].values() if entry.get("note")}
        lines += [f"Note ({who}): {note}." for note in sorted(notes)]
    return lines


def one_run_lines(results):
    """Claimed epsilon (accountant) vs. epsilon shown in one run, if audited."""
    audit = results.get("one_run_audit")
    if not audit:
        return []
    claimed = audit["epsilon_claimed"]
    if claimed is None:
        claim = "no privacy claim (no DP accountant)"
    else:
        shown = claimed if isinstance(claimed, str) else format(claimed, ".3g")
        claim = f"claimed epsilon (accountant) {shown} at delta {audit['delta']:.0e}"
    return [
        f"Privacy claim: {claim}; epsilon shown in one run >= "
        f"{audit['epsilon_lower_bound']:.3g} at {audit['confidence']:.0%} confidence "
        f"({audit['n_correct']} of {audit['n_guesses']} guesses right on "
        f"{audit['n_canaries']} {audit['canaries']} canaries, one extra model "
        "trained). This is a lower bound: it can show a leak, never prove privacy."]


def format_table(results):
    """One run's results as Markdown: the target, the table, the verdicts."""
    from ._verdict import verdicts

    header, rows = table_rows(results)
    lines = [*run_summary(results), ""]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    notes = table_notes(results)
    if notes:
        lines += ["", *notes]
    sentences = verdicts(results)
    if sentences:
        lines += ["", *sentences]
    claim = one_run_lines(results)
    if claim:
        lines += ["", *claim]
    return "\n".join(lines)


def format_sweep_table(results):
    """A sweep: one row per point with gap and the best attack's leakage."""
    lines = ["| point | train acc | test acc | gap | epsilon | best attack | AUC |",
             "|---|---|---|---|---|---|---|"]
    for run in results["points"]:
        t = run["target"]
        best = max(run["attacks"], key=lambda r: r["auc"])
        eps = t.get("epsilon")
        eps = "n/a" if eps is None else (eps if isinstance(eps, str) else f"{eps:.3g}")
        lines.append(
            f"| {run['sweep_point']} | {t['train_accuracy']:.3f} | "
            f"{t['test_accuracy']:.3f} | {t['generalization_gap']:.3f} | {eps} | "
            f"{best['attack']} | {best['auc']:.3f}{_ci(best['auc_ci'])} |")
    r = results.get("gap_leakage_correlation")
    lines.append("")
    lines.append("Correlation of generalization gap and best attack AUC (Pearson r): "
                 + ("n/a (too few points)" if r is None or r != r else f"{r:.3f}"))
    return "\n".join(lines)
