"""The monitoring report as one self-contained HTML file: tables and inline SVG charts.

No script, no stylesheet or font from elsewhere: the file opens offline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

SERVED = "#d9480f"
REFERENCE = "#1c7ed6"
CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:.2em .6em;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
.alarm{background:#ffe3e3;color:#a00;padding:.5em 1em;border-left:4px solid #c00}
.ok{background:#ebfbee;color:#2b8a3e;padding:.5em 1em;border-left:4px solid #2b8a3e}
.wait{background:#fff9db;color:#8a6d00;padding:.5em 1em;border-left:4px solid #f59f00}
figure{margin:0}
.note{color:#666}.charts{display:flex;flex-wrap:wrap;gap:1em}tr.drifted td{background:#fff0f0}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}
"""


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}g}" if abs(value) < 1e-3 and value else f"{value:.{digits}f}"
    return escape(str(value))


CHAR_PX = 6.0  # width of one character of a 9 px label, generously


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float], str]],
    *,
    x_label: str,
    y_label: str,
    width: int = 440,
    height: int = 220,
) -> str:
    """Grouped vertical bars as an inline ``<svg>``: one group per category, axes named.

    Category labels are thinned so that none overlaps the next (each takes its
    estimated text width plus a gap); every label keeps its value in a ``<title>``.
    """
    pad_l, pad_b, pad_t = 48, 46, 22
    plot_w, plot_h = width - pad_l - 8, height - pad_b - pad_t
    top = max([max(values, default=0) for _, values, _ in series] + [1e-12])
    n = max(len(categories), 1)
    group = plot_w / n
    bar = group * 0.8 / max(len(series), 1)
    widest = max((len(c) for c in categories), default=1) * CHAR_PX + 6
    step = max(1, math.ceil(widest / group))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<text x="{width / 2}" y="14" text-anchor="middle" font-size="13">{escape(title)}</text>',
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - 8}" y2="{pad_t + plot_h}" '
        'stroke="#999"/>',
        f'<line x1="{pad_l}" y1="{pad_t}" x2="{pad_l}" y2="{pad_t + plot_h}" stroke="#999"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 4}" text-anchor="end" font-size="10">'
        f"{_num(float(top), 2)}</text>",
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" text-anchor="end" font-size="10">0</text>',
        f'<text class="axis-label" x="{pad_l + plot_w / 2}" y="{height - 4}" '
        f'text-anchor="middle" font-size="10">{escape(x_label)}</text>',
        f'<text class="axis-label" x="12" y="{pad_t + plot_h / 2}" text-anchor="middle" '
        f'font-size="10" transform="rotate(-90 12 {pad_t + plot_h / 2})">{escape(y_label)}</text>',
    ]
    for s, (name, values, colour) in enumerate(series):
        for i, value in enumerate(values):
            h = plot_h * max(value, 0) / top
            x = pad_l + i * group + group * 0.1 + s * bar
            parts.append(
                f'<rect class="bar" data-series="{escape(name)}" x="{x:.1f}" '
                f'y="{pad_t + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} '
                f"{escape(categories[i] if i < len(categories) else '')}: "
                f"{_num(float(value))}</title></rect>"
            )
    for i in range(0, n, step):
        x = pad_l + (i + 0.5) * group
        parts.append(
            f'<text class="xtick" x="{x:.1f}" y="{pad_t + plot_h + 14}" text-anchor="middle" '
            f'font-size="9">{escape(categories[i])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f'<span style="background:{colour}"></span>{escape(name)}' for name, colour in series
    )
    return f'<div class="legend">{items}</div>'


def _figure(chart: str, series: Sequence[tuple[str, str]]) -> str:
    """A chart with the legend of the series it draws (and only those)."""
    return f"<figure>{chart}{_legend(series)}</figure>"


def _bin_labels(edges: Sequence[float]) -> list[str]:
    fmt = ".2f" if all(0 <= e <= 1 for e in edges) else ".3g"
    if len(edges) == 1:
        return [f"<{edges[0]:{fmt}}", f"{edges[0]:{fmt}}", f">{edges[0]:{fmt}}"]
    return [f"{edges[i]:{fmt}}" for i in range(len(edges) - 1)]


UNITS = {"width": "px", "height": "px"}


def drift_chart(d: dict[str, Any]) -> str:
    """Served vs reference share of each reference bin of one statistic."""
    verdict = {True: "DRIFT", False: "ok", None: "no verdict"}[d["drifted"]]
    unit = UNITS.get(d["name"], "0-1" if d["name"] == "probability" else "0-255")
    chart = bar_chart(
        f"{d['name']} ({verdict}; PSI {_num(d['psi'])})",
        _bin_labels(d["edges"]),
        [
            ("reference (training)", d["reference_shares"], REFERENCE),
            ("served", d["shares"] or [0.0] * len(d["reference_shares"]), SERVED),
        ],
        x_label=f"{d['name']} ({unit}), bin start",
        y_label="share of predictions",
    )
    return _figure(chart, [("reference (training)", REFERENCE), ("served", SERVED)])


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] = ()
) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        f'<tr class="{classes[i] if i < len(classes) else ""}">'
        + "".join(f"<td>{_num(c)}</td>" for c in row)
        + "</tr>"
        for i, row in enumerate(rows)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _version(v: dict[str, Any]) -> str:
    out = [f"<h2>{escape(v['version'])}</h2>"]
    if v["alarms"]:
        out += [f'<div class="alarm">ALARM: {escape(a)}</div>' for a in v["alarms"]]
    elif not v.get("verdict"):
        out.append('<div class="wait">no verdict yet: too few served predictions</div>')
    else:
        out.append('<div class="ok">no threshold crossed</div>')
    out += [f'<p class="note">{escape(n)}</p>' for n in v["notes"]]
    lat, fb, atc = v["latency_ms"], v["feedback"], v["atc"] or {}
    out.append(
        _table(
            [
                "requests",
                "errors",
                "error rate",
                "latency p50 ms",
                "p95 ms",
                "p99 ms",
                "labelled",
                "accuracy (labels)",
                "ATC estimate",
                "test accuracy",
            ],
            [
                [
                    v["requests"],
                    v["errors"],
                    v["error_rate"],
                    lat["p50"],
                    lat["p95"],
                    lat["p99"],
                    fb["n"],
                    fb["accuracy"],
                    "no estimate" if atc.get("no_estimate") else atc.get("estimated_accuracy"),
                    v["test_accuracy"],
                ]
            ],
        )
    )
    out.append(
        "<p>Model md5: "
        + escape(", ".join(v["model_md5"]) or "–")
        + f"; serving since {escape(v['first_seen'] or '–')} (its first served prediction)"
        + f", last served {escape(v['last_seen'] or '–')}"
        + f"; model last (re)loaded {escape(v['loaded_at'] or '–')}; labels "
        + escape(", ".join(f"{k}: {n}" for k, n in sorted(v["labels"].items())) or "–")
        + "</p>"
    )
    drifts = v["drift"] + ([v["prediction_drift"]] if v["prediction_drift"] else [])
    if drifts:
        out.append(
            _table(
                [
                    "statistic",
                    "n",
                    "mean",
                    "reference mean",
                    "PSI",
                    "KS D",
                    "KS p",
                    "KS against",
                    "drift",
                ],
                [
                    [
                        d["name"],
                        d["n"],
                        d["mean"],
                        d["reference_mean"],
                        d["psi"],
                        d["ks_statistic"],
                        d["ks_p"],
                        d["ks_reference"],
                        {True: "yes", False: "no", None: "–"}[d["drifted"]],
                    ]
                    for d in drifts
                ],
                ["drifted" if d["drifted"] else "" for d in drifts],
            )
        )
    out.append('<div class="charts">' + confidence_chart(v["confidence"]) + "".join(
        drift_chart(d) for d in drifts
    ) + "</div>")
    if atc.get("no_estimate"):
        out.append(f'<p class="note">ATC accuracy: {escape(atc["no_estimate"])}</p>')
    return "".join(out)


def confidence_chart(conf: dict[str, Any]) -> str:
    """Share of served predictions per confidence bin, beside the held-out reference."""
    edges = conf["edges"]
    start = next((i for i, e in enumerate(edges) if e >= 0.5), 0)  # binary: none below 0.5
    series = [("served", conf.get("shares") or conf["counts"], SERVED)]
    if conf.get("reference_shares"):
        series.insert(0, ("reference (held-out)", conf["reference_shares"], REFERENCE))
    chart = bar_chart(
        f"confidence (n={conf['n']})",
        [f"{e:.2f}" for e in edges[start:-1]],
        [(name, values[start:], colour) for name, values, colour in series],
        x_label="confidence (0-1), bin start",
        y_label="share of predictions",
    )
    return _figure(chart, [(name, colour) for name, _, colour in series])


def render(report: dict[str, Any]) -> str:
    """The HTML page of a report (the dict of :meth:`Report.to_dict`)."""
    waiting = [v["version"] for v in report["versions"] if not v.get("verdict")]
    if report["alarm"]:
        status = '<div class="alarm" id="banner">a threshold is crossed</div>'
    elif waiting or not report["versions"]:
        status = (
            '<div class="wait" id="banner">no verdict yet for '
            + escape(", ".join(waiting) or "any version")
            + ": too few served predictions</div>"
        )
    else:
        status = '<div class="ok" id="banner">no threshold crossed</div>'
    thresholds = ", ".join(f"{k} = {v}" for k, v in report["thresholds"].items())
    body = "".join(_version(v) for v in report["versions"]) or "<p>No predictions logged.</p>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>catdetector monitoring report</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>catdetector monitoring report</h1>"
        f"<p>Generated {escape(report['generated_at'])}; window: "
        f"{escape(report.get('window') or 'all logged predictions')}; thresholds: "
        f"{escape(thresholds)}.</p>{status}{body}</body></html>\n"
    )
