"""``monitor compare --html``: the comparison as one self-contained page (no script, offline)."""

from __future__ import annotations

from html import escape
from typing import Any

from catdetector.monitor.html import CSS, _num, _table, drift_chart


def _rate(p: dict[str, Any] | None) -> str:
    """A rate with its Wilson interval and n, or a dash."""
    if not p or p.get("rate") is None:
        return "–"
    low, high = p["ci"]
    return f"{p['rate']:.3f} [{low:.3f}, {high:.3f}] (n={p['n']})"


def _difference(d: dict[str, Any]) -> str:
    """A difference of two rates with its interval, or a dash."""
    if not d or d.get("rate") is None:
        return "–"
    return f"{d['rate']:+.3f} [{d['ci'][0]:+.3f}, {d['ci'][1]:+.3f}]"


def _quant(d: dict[str, Any] | None, keys: tuple[str, ...]) -> str:
    if not d or d.get(keys[0]) is None:
        return "–"
    return ", ".join(f"{k} {_num(d.get(k))}" for k in keys)


def _sides(c: dict[str, Any]) -> str:
    prim, cand = c["sides"]["primary"], c["sides"]["candidate"]
    lat, conf = ("p50", "p90", "p99"), ("p10", "p50", "p90")
    same = " (same requests)" if c["labelled"]["same_requests"] else " (own requests)"
    rows = [
        ("version", prim["version"], cand["version"]),
        ("requests", prim["requests"], cand["requests"]),
        ("error rate", _rate(prim["error"]), _rate(cand["error"])),
        ("latency ms", _quant(prim["latency_ms"], lat), _quant(cand["latency_ms"], lat)),
        ("confidence", _quant(prim["confidence"], conf), _quant(cand["confidence"], conf)),
        (
            "labelled accuracy" + same,
            _rate(c["labelled"]["primary"]),
            _rate(c["labelled"]["candidate"]),
        ),
        ("alarms", "; ".join(prim["alarms"]) or "none", "; ".join(cand["alarms"]) or "none"),
    ]
    return _table(["", "primary", c["stage"]], rows)


def _confusion(conf: dict[str, Any]) -> str:
    if not conf or not conf["labels"]:
        return ""
    rows = [[f"primary {a}", *line] for a, line in zip(conf["labels"], conf["matrix"], strict=True)]
    head = ["", *(f"candidate {b}" for b in conf["labels"])]
    return "<h3>Confusion (primary rows, candidate columns)</h3>" + _table(head, rows)


def _comparison(c: dict[str, Any]) -> str:
    title = f"{c['stage']} {c['candidate']} beside {', '.join(c['primary']) or '(no primary)'}"
    out = [f"<h2>{escape(title)}</h2>", f'<p class="note">{escape(c["note"])}</p>']
    cand = c["sides"]["candidate"]
    if cand["alarms"]:
        out += [f'<div class="alarm">ALARM: {escape(a)}</div>' for a in cand["alarms"]]
    else:
        out.append('<div class="ok">the candidate crosses no threshold of its own</div>')
    if c["paired"]:
        out.append(
            f'<p>Agreement with the primary: <b id="agreement">{escape(_rate(c["agreement"]))}'
            f"</b> (95% Wilson interval). Shadow records without a logged primary: "
            f"{c['unpaired']}; pairs with different inputs, left out: {c['mismatched']}.</p>"
        )
    elif c.get("agreement_ceiling"):
        ceiling, diff = c["agreement_ceiling"], c["labelled"].get("difference") or {}
        low, high = ceiling["ci"]
        out.append(
            f'<p>Agreement with the primary: at most <b id="agreement-ceiling">'
            f"{ceiling['rate']:.3f} [{low:.3f}, {high:.3f}]</b> (other requests: one minus the "
            f"difference of the two shares of {escape(repr(ceiling['label']))}; it can refute a "
            "canary, never pass one). Labelled accuracy, canary minus primary: "
            f'<b id="accuracy-difference">{escape(_difference(diff))}</b> (95% Newcombe).</p>'
        )
    out.append(_sides(c))
    out.append(_confusion(c["confusion"]))
    for name in ("primary", "candidate"):
        side = c["sides"][name]
        drifts = [*side["drift"], *([side["prediction_drift"]] if side["prediction_drift"] else [])]
        charts = "".join(drift_chart(d) for d in drifts if d["n"])
        if charts:
            title = f"Drift of the {name} ({side['version']}) against its own reference"
            out.append(f'<h3>{escape(title)}</h3><div class="charts">{charts}</div>')
    return "".join(out)


def render(data: dict[str, Any]) -> str:
    """The HTML page of a comparison (the dict of ``Compared.to_dict``)."""
    body = "".join(_comparison(c) for c in data["comparisons"])
    body = body or "<p>No shadow or canary predictions logged.</p>"
    status = (
        '<div class="alarm" id="banner">a candidate crosses a threshold</div>'
        if data["alarm"]
        else '<div class="ok" id="banner">no candidate crosses a threshold</div>'
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>catdetector: candidate beside primary</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>catdetector: candidate beside primary</h1>"
        f"<p>Generated {escape(data['generated_at'])}; window: {escape(data['window'])}.</p>"
        f"{status}{body}</body></html>\n"
    )
