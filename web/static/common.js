// Shared helpers: time codes, API calls with the write token, and the model-loading banner.
"use strict";

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
    banner.textContent = state.models === "error" ? `Models failed to load: ${state.error}` : "Loading search models…";
    if (state.models === "error") return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

document.addEventListener("DOMContentLoaded", () => { fillTimecodes(); watchModels(); });
