// Shared helpers: translations, time codes, API calls with the write token, and the model-loading banner.
"use strict";

// The page's messages in its language (web/i18n.py puts them in #i18n as JSON): t("Searching {what}…", {what})
// and tn("{n} result", "{n} results", n). A message missing from the catalogue shows as written.
const MESSAGES = (() => {
  try { return JSON.parse(document.getElementById("i18n")?.textContent || "{}"); } catch (_) { return {}; }
})();

function fill(text, values) {
  return String(text).replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
}

function t(message, values) {
  return fill(MESSAGES[message] ?? message, values);
}

function tn(one, many, n, values) {
  const forms = MESSAGES[`${one}\u0000${many}`];
  const text = forms ? (forms.length === 1 || n === 1 ? forms[0] : forms[1]) : (n === 1 ? one : many);
  return fill(text, Object.assign({ n }, values || {}));
}

function timecode(seconds) {
  const s = Math.max(0, Number(seconds) || 0);
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, "0")}:${(s - m * 60).toFixed(1).padStart(4, "0")}`;
}

function fillTimecodes(root = document) {
  root.querySelectorAll(".timecode[data-seconds]").forEach((el) => { el.textContent = timecode(el.dataset.seconds); });
}

function token() {
  const match = document.cookie.match(/(?:^|; )visearch_token=([^;]*)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(path, options = {}) {
  const headers = Object.assign({ "X-Visearch-Token": token() }, options.headers || {});
  const response = await fetch(path, Object.assign({}, options, { headers }));
  let body = null;
  try { body = await response.json(); } catch (_) { body = null; }
  if (!response.ok) {
    const error = new Error((body && body.error) || `${response.status} ${response.statusText}`);
    error.status = response.status;
    error.loading = Boolean(body && body.loading);
    throw error;
  }
  return body;
}

// A price as the page's language writes it: 3,900원 or ₩3,900; 4.99 € or €4.99 (the amount alone if the currency is unknown).
function price(amount, currency) {
  const lang = document.documentElement.lang || "en";
  try {
    if (currency) return new Intl.NumberFormat(lang, { style: "currency", currency }).format(amount);
  } catch (_) { /* not an ISO 4217 code: written out below */ }
  return `${new Intl.NumberFormat(lang).format(amount)} ${currency || ""}`.trim();
}

function escapeHtml(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// Keep a token passed once as ?token=… for later write requests.
(function rememberToken() {
  const given = new URLSearchParams(location.search).get("token");
  if (given) document.cookie = `visearch_token=${encodeURIComponent(given)}; path=/; SameSite=Strict`;
})();

async function watchModels() {
  const banner = document.getElementById("model-state");
  if (!banner) return;
  for (let i = 0; i < 600; i++) {
    let state;
    try { state = await api("/api/status"); } catch (_) { return; }
    if (state.models === "ready" || !state.library) { banner.hidden = true; return; }
    banner.hidden = false;
    banner.textContent = state.models === "error" ? t("Models failed to load: {error}", { error: state.error }) : t("Loading search models…");
    if (state.models === "error") return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

document.addEventListener("DOMContentLoaded", () => { fillTimecodes(); watchModels(); });
