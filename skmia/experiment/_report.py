"""Markdown tables of experiment results."""

__all__ = ["format_sweep_table", "format_table"]


def _fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ci(ci):
    return "" if ci is None else f" [{ci[0]:.3f}, {ci[1]:.3f}]"


def format_table(results):
    """One run's results as Markdown: the target, then one row per attack."""
    t = results["target"]
    defense = t["defense"]
    if t.get("defense_params"):
        defense += " (" + ", ".join(f"{k}={v}" for k, v in t["defense_params"].items()) + ")"
    eps = t.get("epsilon")
    lines = [
        f"Dataset: {results['dataset']}; target: {t['arch']}; defense: {defense}.",
        f"Train accuracy {t['train_accuracy']:.3f}, test accuracy {t['test_accuracy']:.3f},"
        f" gap {t['generalization_gap']:.3f}"
        + (f"; DP epsilon {eps if isinstance(eps, str) else format(eps, '.3g')} "
           f"(delta {t['delta']:.0e})" if eps is not None else "") + ".",
        f"Evaluated on {results['n_eval']['members']} members and "
        f"{results['n_eval']['non_members']} non-members.",
        "",
    ]
    fprs = list(results["attacks"][0]["tpr_at_fpr"]) if results["attacks"] else []
    # results.json written before rows stated their level hold 95% intervals
    level = results["attacks"][0].get("confidence", 0.95) if results["attacks"] else 0.95
    header = ["attack", f"AUC [{100 * level:g}% CI]",
              *[f"TPR@{float(f):.1%}FPR" for f in fprs],
              "advantage", "eps lower bound"]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + "---|" * len(header))
    for row in results["attacks"]:
        cells = [row["attack"], f"{row['auc']:.3f}{_ci(row['auc_ci'])}"]
        for f in fprs:
            entry = row["tpr_at_fpr"][f]
            cells.append(_fmt(entry["tpr"]) + _ci(entry["ci"]))
        cells += [_fmt(row["advantage"]), _fmt(row["epsilon_lower_bound"])]
        lines.append("| " + " | ".join(cells) + " |")
    notes = {entry["note"] for row in results["attacks"]
             for entry in row["tpr_at_fpr"].values() if entry.get("note")}
    if notes:
        lines.append("")
        lines += [f"Note: {note}." for note in sorted(notes)]
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
