// tierwise dashboard: plain SVG charts drawn from the gateway's JSON endpoints.
// The admin key comes from the URL fragment (#key=...), which browsers never send to the
// server, or from the form; it is kept in sessionStorage for this tab only.
"use strict";

const TIER_COLORS = { haiku: "#2da44e", sonnet: "#0969da", opus: "#8250df", passthrough: "#6e7781" };
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs, text) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

function usd(value) {
  const n = Number(value);
  return n >= 100 ? "$" + n.toFixed(0) : n >= 1 ? "$" + n.toFixed(2) : "$" + n.toFixed(4);
}

function pct(x) { return (100 * x).toFixed(1) + "%"; }

function svgBox(width, height) {
  return el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
}

function dailyChart(target, days) {
  const names = Object.keys(days).sort();
  const width = 900, height = 260, left = 60, bottom = 40, top = 10;
  const svg = svgBox(width, height);
  const totals = names.map((d) => Object.values(days[d]).reduce((a, b) => a + Number(b), 0));
  const max = Math.max(...totals, 1e-9);
  const step = (width - left - 10) / Math.max(names.length, 1);
  svg.appendChild(el("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, stroke: "#8c959f" }));
  svg.appendChild(el("text", { x: 5, y: top + 10, "font-size": 11 }, usd(max)));
  names.forEach((day, i) => {
    let y = height - bottom;
    for (const tier of ["haiku", "sonnet", "opus", "passthrough"]) {
      const value = Number((days[day] || {})[tier] || 0);
      if (!value) continue;
      const h = (value / max) * (height - bottom - top);
      y -= h;
      const rect = el("rect", { x: left + i * step + 2, y, width: Math.max(step - 4, 1), height: h, fill: TIER_COLORS[tier], "data-tier": tier, "data-day": day });
      rect.appendChild(el("title", {}, `${day} ${tier}: ${usd(value)}`));
      svg.appendChild(rect);
    }
    if (names.length <= 31 && i % Math.ceil(names.length / 10) === 0) {
      svg.appendChild(el("text", { x: left + i * step, y: height - bottom + 15, "font-size": 10 }, day.slice(5)));
    }
  });
  target.replaceChildren(svg);
}

function barChart(target, items, format) {
  const width = 440, row = 34, height = row * items.length + 10;
  const svg = svgBox(width, height);
  const max = Math.max(...items.map((i) => i.value), 1e-9);
  items.forEach((item, i) => {
    const w = (item.value / max) * (width - 200);
    svg.appendChild(el("text", { x: 0, y: i * row + 21, "font-size": 12 }, item.label));
    const rect = el("rect", { x: 110, y: i * row + 6, width: Math.max(w, 1), height: 20, fill: item.color || "#0969da", class: "bar", "data-label": item.label });
    svg.appendChild(rect);
    svg.appendChild(el("text", { x: 115 + w, y: i * row + 21, "font-size": 12 }, format(item.value)));
  });
  target.replaceChildren(svg);
}

function creditChart(target, credits) {
  const items = credits.pools.map((p) => ({
    label: p.name, value: Number(p.balance_usd), color: "#bf8700",
  }));
  if (!items.length) { target.textContent = "No credit pools configured."; return; }
  barChart(target, items, (v) => usd(v));
  const notes = credits.pools.map((p) => `${p.name}: runs out ${p.runs_out || "not before expiry"}, expires ${p.expires}`);
  notes.push(`burn ${usd(credits.burn_7d_usd)}/day (7d); card from ${credits.card_from || "beyond the forecast"}`);
  const list = document.getElementById("warnings");
  list.replaceChildren(...[...notes, ...credits.warnings].map((t) => { const li = document.createElement("li"); li.textContent = t; return li; }));
}

function latestTable(rows) {
  const body = document.querySelector("#latest tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = document.createElement("tr");
    for (const v of [r.ts.replace("T", " ").slice(0, 19), r.tier, r.model_id, r.cost_usd, r.status, r.reason]) {
      const td = document.createElement("td"); td.textContent = v ?? ""; tr.appendChild(td);
    }
    return tr;
  }));
}

async function load(key) {
  const headers = { Authorization: "Bearer " + key };
  const [spendRes, creditsRes] = await Promise.all([
    fetch("/v1/spend?since=30d&by=tier", { headers }),
    fetch("/v1/credits", { headers }),
  ]);
  if (spendRes.status === 401) { throw new Error("That key is not valid."); }
  if (spendRes.status === 403) { throw new Error("That key is not an admin key."); }
  if (!spendRes.ok) { throw new Error("Spend request failed: " + spendRes.status); }
  const spend = await spendRes.json();
  document.getElementById("total-spend").textContent = usd(spend.total.cost_usd);
  document.getElementById("saved-opus").textContent = usd(spend.savings.vs_all_opus_usd);
  document.getElementById("saved-sonnet").textContent = usd(spend.savings.vs_all_sonnet_usd);
  document.getElementById("cache-hit").textContent = pct(spend.cache_hit_ratio);
  document.getElementById("escalation").textContent = pct(spend.escalation_rate);
  dailyChart(document.getElementById("chart-daily"), spend.daily_by_tier);
  barChart(document.getElementById("chart-mix"),
    Object.entries(spend.tier_mix).map(([t, v]) => ({ label: t, value: v, color: TIER_COLORS[t] })), pct);
  barChart(document.getElementById("chart-savings"), [
    { label: "actual", value: Number(spend.total.cost_usd), color: "#2da44e" },
    { label: "all-Sonnet", value: Number(spend.savings.all_sonnet_cost_usd), color: "#0969da" },
    { label: "all-Opus", value: Number(spend.savings.all_opus_cost_usd), color: "#8250df" },
  ], usd);
  latestTable(spend.latest);
  if (creditsRes.ok) creditChart(document.getElementById("chart-credits"), await creditsRes.json());
  else document.getElementById("chart-credits").textContent = "No credit pools configured.";
  document.getElementById("status").textContent = "Updated " + new Date().toLocaleTimeString();
}

function start() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("key");
  if (fromHash) { sessionStorage.setItem("tierwise-key", fromHash); history.replaceState(null, "", location.pathname); }
  const key = sessionStorage.getItem("tierwise-key");
  const form = document.getElementById("login");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("tierwise-key", document.getElementById("key").value);
    start();
  });
  if (!key) { form.hidden = false; document.getElementById("status").textContent = "Enter an admin key."; return; }
  load(key).catch((err) => { document.getElementById("status").textContent = err.message; form.hidden = false; });
}

start();
