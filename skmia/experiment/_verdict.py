"""Plain-language verdicts: what each attack finds at 1% false alarms."""

__all__ = ["VERDICT_FPR", "strongest_attack", "verdict_rows", "verdicts"]

#: The false-alarm rate the verdicts speak of (when the run reports it).
VERDICT_FPR = 0.01


def _fpr(rows):
    """The verdicts' FPR: 1% if reported, else the smallest FPR of the rows."""
    fprs = [float(f) for f in rows[0]["tpr_at_fpr"]] if rows else [VERDICT_FPR]
    return VERDICT_FPR if VERDICT_FPR in fprs else min(fprs)


def verdict_rows(results):
    """The rows the verdicts speak of, and who they describe.

    The pooled rows ("models trained this way") when the run has them: they
    hold enough non-members for a low-FPR figure; else "this model".
    """
    pooled = (results.get("pooled") or {}).get("attacks") or []
    if pooled:
        return pooled, "models trained this way"
    return results["attacks"], "this model"


def _strength(row, fpr):
    entry = row["tpr_at_fpr"][f"{fpr:g}"]
    return (entry["tpr"] if entry["tpr"] is not None else -1.0, row["auc"])


def strongest_attack(results):
    """The label of the attack with the highest TPR at the verdicts' FPR
    (ties and unreported TPRs broken by AUC), over :func:`verdict_rows`."""
    rows, _ = verdict_rows(results)
    if not rows:
        return None
    fpr = _fpr(rows)
    return max(rows, key=lambda row: _strength(row, fpr))["attack"]


def _pct(value):
    return f"{100 * value:.1f}%"


def _sentence(row, fpr):
    entry = row["tpr_at_fpr"][f"{fpr:g}"]
    guess = f"a random guess finds {100 * fpr:g}%"
    if entry["tpr"] is None:
        return (f"{row['attack']}: at {100 * fpr:g}% false alarms there are too few "
                f"non-members to tell ({entry['note']}); its AUC is "
                f"{row['auc']:.3f}, where 0.5 is a random guess.")
    low, high = entry["ci"]
    level = f"{100 * row.get('confidence', 0.95):g}%"
    return (f"{row['attack']}: at {100 * fpr:g}% false alarms, this attack finds "
            f"{_pct(entry['tpr'])} [{_pct(low)}, {_pct(high)}] of the training "
            f"records ({level} interval); {guess}.")


def verdicts(results):
    """One sentence per attack a non-specialist can act on, then the strongest.

    Parameters
    ----------
    results : dict
        One run's results (``attacks`` and, when the run pooled its shadows,
        ``pooled``).

    Returns
    -------
    lines : list of str
        Who the sentences describe, one sentence per attack, and the
        strongest attack named.
    """
    rows, who = verdict_rows(results)
    if not rows:
        return []
    fpr = _fpr(rows)
    lines = [f"What an attacker finds ({who}):"]
    lines += [_sentence(row, fpr) for row in rows]
    best = max(rows, key=lambda row: _strength(row, fpr))
    entry = best["tpr_at_fpr"][f"{fpr:g}"]
    if entry["tpr"] is not None and entry["ci"][0] > fpr:
        lines.append(f"Strongest attack: {best['attack']}. Even its lower bound beats "
                     "a random guess: an attacker could use this leak.")
    elif entry["tpr"] is not None:
        lines.append(f"Strongest attack: {best['attack']}. Its interval reaches a "
                     "random guess: no leak an attacker could rely on is shown.")
    else:
        lines.append(f"Strongest attack (by AUC): {best['attack']}.")
    return lines
