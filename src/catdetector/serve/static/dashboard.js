// catdetector dashboard: polls /v1/monitor/summary and draws SVG charts. No dependencies.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const POLL_MS = 2000;
const $ = (id) => document.getElementById(id);

function fmt(value, digits = 3) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number") return String(value);
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(1);
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

// A measured quantity (a mean): always the same decimals, 414 as 414.000 beside 412.923.
function fixed(value, digits = 3) {
  if (value === null || value === undefined) return "–";
  return Number(value).toFixed(digits);
}

// Axis names with units: x under the plot, y turned along the left edge.
function axes(svg, w, h, left, bottom, xLabel, yLabel) {
  svg.append(el("text", { class: "axis-label", x: left + (w - left) / 2, y: h - 2,
    "text-anchor": "middle", "font-size": 10 }, xLabel));
  const mid = (h - bottom) / 2;
  svg.append(el("text", { class: "axis-label", x: 10, y: mid, "text-anchor": "middle",
    "font-size": 10, transform: `rotate(-90 10 ${mid})` }, yLabel));
}

// Every n-th label, n so that none overlaps the next (about 6 px per character at 9 px).
function labelStep(labels, step) {
  const widest = Math.max(1, ...labels.map((l) => String(l).length)) * 6 + 6;
  return Math.max(1, Math.ceil(widest / step));
}

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Vertical bars: values (numbers), labels (strings), one colour; axis names with units.
function bars(target, values, labels, colour, title, xLabel, yLabel) {
  const w = 420, h = 170, left = 44, bottom = 34, top = 8;
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": title });
  const max = Math.max(1e-12, ...values);
  const step = (w - left - 4) / Math.max(values.length, 1);
  svg.append(el("line", { x1: left, y1: h - bottom, x2: w - 4, y2: h - bottom, stroke: "#999" }));
  svg.append(el("text", { x: left - 4, y: top + 8, "text-anchor": "end", "font-size": 10 },
    fmt(max, 2)));
  values.forEach((v, i) => {
    const bh = (h - bottom - top) * v / max;
    const rect = el("rect", { x: left + i * step + 1, y: h - bottom - bh,
      width: Math.max(step - 2, 1), height: bh, fill: colour });
    rect.append(el("title", {}, `${labels[i]}: ${fmt(v)}`));
    svg.append(rect);
  });
  const every = labelStep(labels, step);
  labels.forEach((label, i) => {
    if (i % every === 0) {
      svg.append(el("text", { class: "xtick", x: left + (i + 0.5) * step, y: h - bottom + 12,
        "text-anchor": "middle", "font-size": 9 }, label));
    }
  });
  axes(svg, w, h, left, bottom, xLabel, yLabel);
  target.replaceChildren(svg);
}

// A line through values (e.g. latency of the latest requests); axis names with units.
function line(target, values, colour, title, xLabel, yLabel) {
  const w = 420, h = 170, left = 44, bottom = 26, top = 8;
  const svg = el("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-label": title });
  const max = Math.max(1e-12, ...values);
  const dx = (w - left - 4) / Math.max(values.length - 1, 1);
  const points = values.map((v, i) =>
    `${(left + i * dx).toFixed(1)},${(h - bottom - (h - bottom - top) * v / max).toFixed(1)}`);
  svg.append(el("line", { x1: left, y1: h - bottom, x2: w - 4, y2: h - bottom, stroke: "#999" }));
  svg.append(el("text", { x: left - 4, y: top + 8, "text-anchor": "end", "font-size": 10 },
    fmt(max, 1)));
  svg.append(el("text", { x: left - 4, y: h - bottom, "text-anchor": "end", "font-size": 10 }, "0"));
  if (values.length === 1) {
    const [x, y] = points[0].split(",");
    svg.append(el("circle", { cx: x, cy: y, r: 3, fill: colour }));
  } else if (values.length) {
    svg.append(el("polyline", { points: points.join(" "), fill: "none", stroke: colour,
      "stroke-width": 1.5 }));
  } else {
    svg.append(el("text", { x: w / 2, y: h / 2, "text-anchor": "middle", fill: "#999" },
      "no requests yet"));
  }
  axes(svg, w, h, left, bottom, xLabel, yLabel);
  target.replaceChildren(svg);
}

function badge(node, text, kind) {
  node.textContent = text;
  node.className = `badge ${kind}`;
}

function renderModel(data) {
  const m = data.model;
  $("model-version").textContent = m ? m.version : "no model loaded";
  $("model-stage").textContent = (m && m.stage) || data.stage || "–";
  $("model-rung").textContent = (m && m.chosen_rung) || "–";
  const test = m && m.metrics && m.metrics.test;
  $("model-accuracy").textContent = test ? fmt(test.accuracy) : "–";
  $("model-loaded").textContent = (m && m.loaded_at) || "–";
  $("model-registry").textContent = data.registry || "(static bundle)";
}

function renderLive(live) {
  $("window").textContent = `(window: the latest ${live.window} predictions of `
    + `${live.version}: ${live.requests} here, ${live.total_requests} in all)`;
  $("requests").textContent = fmt(live.total_requests);
  $("errors").textContent = fmt(live.errors);
  $("error-rate").textContent = `${(100 * live.error_rate).toFixed(1)} %`;
  $("latency-p50").textContent = fmt(live.latency_ms.p50, 1);
  $("latency-p95").textContent = fmt(live.latency_ms.p95, 1);
  $("latency-p99").textContent = fmt(live.latency_ms.p99, 1);
  const fb = live.feedback;
  $("feedback-accuracy").textContent = fb.n ? fmt(fb.accuracy) : "–";
  $("feedback-n").textContent = fb.n ? `from ${fb.n} feedback labels` : "no feedback labels yet";
  const atc = live.atc;
  $("atc-estimate").textContent = !atc ? "–"
    : (atc.no_estimate ? "no estimate" : fmt(atc.estimated_accuracy));
  $("atc-note").textContent = atc && atc.no_estimate ? `ATC: ${atc.no_estimate}` : "";
  $("test-accuracy").textContent = fmt(live.test_accuracy);
  bars($("rate-chart"), live.per_minute.map((m) => m.requests),
    live.per_minute.map((m) => m.minute), "#1c7ed6", "requests per minute",
    "time (UTC, per minute)", "requests / min");
  line($("latency-chart"), live.recent_latency_ms, "#d9480f", "latency (ms)",
    "latest requests (oldest left)", "latency (ms)");
  const c = live.confidence;
  const from = c.edges.findIndex((e) => e >= 0.5);  // binary models: nothing below 0.5
  const start = from > 0 ? from : 0;
  bars($("confidence-chart"), c.counts.slice(start),
    c.edges.slice(start, -1).map((e) => e.toFixed(2)), "#2b8a3e", "confidence",
    "confidence (0-1), bin start", "predictions");

  const drifts = live.drift.concat(live.prediction_drift ? [live.prediction_drift] : []);
  const body = $("drift-table").querySelector("tbody");
  body.replaceChildren(...drifts.map((d) => {
    const tr = document.createElement("tr");
    if (d.drifted) tr.className = "drifted";
    const verdict = d.drifted === null ? "–" : (d.drifted ? "yes" : "no");
    for (const v of [d.name, d.n, fixed(d.mean), fixed(d.reference_mean), fmt(d.psi),
      fmt(d.ks_p), verdict]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    return tr;
  }));
  const drifted = drifts.filter((d) => d.drifted).map((d) => d.name);
  if (drifted.length) badge($("drift-status"), `DRIFT: ${drifted.join(", ")}`, "alarm");
  else if (drifts.some((d) => d.drifted === false)) badge($("drift-status"), "no drift", "ok");
  else badge($("drift-status"), "not enough data yet", "wait");
  $("alarms").replaceChildren(...live.alarms.map((a) => {
    const li = document.createElement("li");
    li.textContent = a;
    return li;
  }));
  $("notes").textContent = live.notes.join(" ");
}

function rate(p) {
  if (!p || p.rate === null || p.rate === undefined) return "–";
  return `${fmt(p.rate)} [${fmt(p.ci[0])}, ${fmt(p.ci[1])}] of ${p.n}`;
}

// A canary answered other requests: its label shares only bound the agreement from above.
function ceiling(p) {
  if (!p) return "– (other requests)";
  return `at most ${fmt(p.rate)} [${fmt(p.ci[0])}, ${fmt(p.ci[1])}] (other requests)`;
}

// The last decision monitor watch took on each role, as the registry's tag records it.
function renderDecisions(decisions) {
  const list = decisions || [];
  $("decision-card").hidden = !list.length;
  $("decisions").replaceChildren(...list.map((d) => {
    const li = document.createElement("li");
    li.className = d.action === "promoted" ? "promoted" : "aborted";
    li.textContent = `${d.stage} ${d.version}: ${d.action} at ${d.at} by ${d.by}: `
      + d.reasons.join("; ");
    return li;
  }));
}

// The first candidate the server follows (shadow or canary), side by side with the primary.
function renderCandidates(candidates) {
  const card = $("candidate-card");
  const c = candidates && candidates[0];
  card.hidden = !c;
  if (!c) return;
  const p = c.primary || {};
  const k = c.candidate || {};
  const lat = (s) => (s.latency_ms ? `p50 ${fmt(s.latency_ms.p50, 1)} p99 ${fmt(s.latency_ms.p99, 1)}` : "–");
  const conf = (s) => (s.confidence ? `p10 ${fmt(s.confidence.p10)} p50 ${fmt(s.confidence.p50)}` : "–");
  const rows = [
    ["version", p.version, c.version],
    ["role", "primary", c.role],
    ["share", "–", c.share === null || c.share === undefined ? "–" : `${c.share} %`],
    ["requests", fmt(p.requests), fmt(k.requests)],
    ["agreement with the primary", "", c.paired ? rate(c.agreement) : ceiling(c.agreement_ceiling)],
    ["error rate", rate(p.error), rate(k.error)],
    ["latency (ms)", lat(p), lat(k)],
    ["confidence", conf(p), conf(k)],
    ["labelled accuracy", rate(p.accuracy), rate(k.accuracy)],
    ["decision", "", c.decision.outcome],
  ];
  $("candidate-role").textContent = c.role;
  $("candidate-table").querySelector("tbody").replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const v of r) {
      const td = document.createElement("td");
      td.textContent = v === undefined || v === null ? "–" : v;
      tr.append(td);
    }
    return tr;
  }));
  $("candidate-note").textContent = `${c.role} ${c.version} since ${c.loaded_at}: ${c.note}`;
  const kind = { pass: "ok", fail: "alarm", wait: "wait" }[c.decision.outcome];
  badge($("candidate-status"), `${c.decision.outcome} (${c.decision.rules})`, kind);
  $("candidate-reasons").replaceChildren(...c.decision.reasons.map((why) => {
    const li = document.createElement("li");
    li.textContent = why;
    return li;
  }));
}

async function refresh() {
  try {
    const resp = await fetch("/v1/monitor/summary", { cache: "no-store" });
    const data = await resp.json();
    renderModel(data);
    renderCandidates(data.candidates);
    renderDecisions(data.decisions);
    if (data.live) {
      renderLive(data.live);
      if (data.live.alarm) badge($("status"), "alarm", "alarm");
      else if (!data.live.verdict) badge($("status"), "no verdict yet", "wait");
      else badge($("status"), "ok", "ok");
    } else if (!data.model) {
      badge($("status"), "no model", "wait");
    } else {
      const why = data.log.error || (data.log.enabled ? "" : "prediction log off");
      badge($("status"), why || "ok", why ? "wait" : "ok");
      $("notes").textContent = why;
    }
    $("updated").textContent = `updated ${data.generated_at}`;
  } catch (err) {
    badge($("status"), `server unreachable: ${err}`, "alarm");
  }
}

async function predict(event) {
  event.preventDefault();
  const out = $("prediction");
  const file = $("upload-file").files[0];
  if (!file) return;
  const form = new FormData();
  form.append("file", file, file.name);
  out.className = "muted";
  out.textContent = "predicting…";
  try {
    const resp = await fetch("/v1/predict", { method: "POST", body: form });
    const body = await resp.json();
    if (!resp.ok) {
      out.className = "error";
      out.textContent = `refused (${resp.status}): ${body.detail}`;
      return;
    }
    out.className = "";
    out.replaceChildren();
    const label = document.createElement("b");
    label.id = "prediction-label";
    label.textContent = body.label;
    out.append(label, ` with probability ${fmt(body.probability)} by ${body.version}`);
    if (body.request_id) {
      const rid = document.createElement("div");
      rid.className = "muted";
      rid.textContent = `request id ${body.request_id}`;
      out.append(rid);
    }
    refresh();
  } catch (err) {
    out.className = "error";
    out.textContent = `request failed: ${err}`;
  }
}

$("upload-form").addEventListener("submit", predict);
refresh();
setInterval(refresh, POLL_MS);
