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

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Vertical bars: values (numbers), labels (strings), one colour.
function bars(target, values, labels, colour, title) {
  const w = 420, h = 150, left = 34, bottom = 20, top = 8;
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
  const every = Math.max(1, Math.ceil(values.length / 6));
  labels.forEach((label, i) => {
    if (i % every === 0) {
      svg.append(el("text", { x: left + (i + 0.5) * step, y: h - 6, "text-anchor": "middle",
        "font-size": 9 }, label));
    }
  });
  target.replaceChildren(svg);
}

// A line through values (e.g. latency of the latest requests).
function line(target, values, colour, title) {
  const w = 420, h = 150, left = 34, bottom = 12, top = 8;
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
  $("window").textContent = `(latest ${live.requests} of ${live.total_requests}, `
    + `window ${live.window})`;
  $("requests").textContent = fmt(live.total_requests);
  $("errors").textContent = fmt(live.errors);
  $("error-rate").textContent = `${(100 * live.error_rate).toFixed(1)} %`;
  $("latency-p50").textContent = fmt(live.latency_ms.p50, 1);
  $("latency-p95").textContent = fmt(live.latency_ms.p95, 1);
  $("atc-estimate").textContent = live.atc ? fmt(live.atc.estimated_accuracy) : "–";
  bars($("rate-chart"), live.per_minute.map((m) => m.requests),
    live.per_minute.map((m) => m.minute), "#1c7ed6", "requests per minute");
  line($("latency-chart"), live.recent_latency_ms, "#d9480f", "latency (ms)");
  const c = live.confidence;
  const from = c.edges.findIndex((e) => e >= 0.5);  // binary models: nothing below 0.5
  const start = from > 0 ? from : 0;
  bars($("confidence-chart"), c.counts.slice(start),
    c.edges.slice(start, -1).map((e) => e.toFixed(2)), "#2b8a3e", "confidence");

  const drifts = live.drift.concat(live.prediction_drift ? [live.prediction_drift] : []);
  const body = $("drift-table").querySelector("tbody");
  body.replaceChildren(...drifts.map((d) => {
    const tr = document.createElement("tr");
    if (d.drifted) tr.className = "drifted";
    const verdict = d.drifted === null ? "–" : (d.drifted ? "yes" : "no");
    for (const v of [d.name, d.n, fmt(d.mean), fmt(d.reference_mean), fmt(d.psi), fmt(d.ks_p),
      verdict]) {
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

async function refresh() {
  try {
    const resp = await fetch("/v1/monitor/summary", { cache: "no-store" });
    const data = await resp.json();
    renderModel(data);
    if (data.live) {
      renderLive(data.live);
      badge($("status"), data.live.alarm ? "alarm" : "ok", data.live.alarm ? "alarm" : "ok");
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
