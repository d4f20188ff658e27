// The search page: text queries, and the lens — upload, a draggable/resizable box, suggestions.
"use strict";

(function () {
  const results = document.getElementById("results");
  if (!results) return;
  const status = document.getElementById("status");
  const lens = document.getElementById("lens");
  const photo = document.getElementById("photo");
  const stage = document.getElementById("stage");
  const box = document.getElementById("box");
  const suggestionsLayer = document.getElementById("suggestions");
  const fileInput = document.getElementById("file");
  const drop = document.getElementById("drop");
  let upload = null; // the File being searched
  let natural = { w: 1, h: 1 };
  let searchTimer = null;
  let requestNumber = 0;

  function setStatus(text) { status.textContent = text; }

  async function run(formData, label) {
    const mine = ++requestNumber;
    setStatus(`Searching ${label}…`);
    for (let attempt = 0; attempt < 120; attempt++) {
      try {
        const data = await api("/api/search", { method: "POST", body: formData });
        if (mine !== requestNumber) return null; // a newer search replaced this one
        render(data);
        return data;
      } catch (error) {
        if (error.loading) { setStatus("Loading search models… the first search takes a moment."); await new Promise((r) => setTimeout(r, 1500)); continue; }
        if (mine === requestNumber) { setStatus(error.message); results.innerHTML = ""; }
        return null;
      }
    }
  }

  let lastData = null;
  let onlyId = null;

  function render(data) {
    lastData = data;
    drawMatches(data.results);
    if (onlyId !== null) data = Object.assign({}, data, { results: data.results.filter((r) => r.id === onlyId) });
    const notices = (data.notices || []).map((n) => `<p class="notice">${escapeHtml(n)}</p>`).join("");
    const filtered = onlyId !== null ? `<p class="notice">Showing one outlined product. <button type="button" class="link" id="show-all">Show all results</button></p>` : "";
    if (!data.results.length) {
      results.innerHTML = `${notices}<p class="empty">No matches. Try another region of the photo, or other words.</p>`;
      setStatus("No results");
      return;
    }
    setStatus(`${data.results.length} results`);
    results.innerHTML = notices + filtered + data.results.map(card).join("");
    const showAll = document.getElementById("show-all");
    if (showAll) showAll.addEventListener("click", () => { onlyId = null; render(lastData); });
  }

  // Verified products, outlined where they are in the photo; a click shows only that one.
  function drawMatches(list) {
    let svg = document.getElementById("matches");
    if (!svg) {
      svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
      svg.id = "matches";
      svg.setAttribute("class", "matches");
      stage.appendChild(svg);
    }
    svg.setAttribute("viewBox", `0 0 ${natural.w} ${natural.h}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.innerHTML = "";
    list.filter((r) => r.evidence.local).forEach((r) => {
      const poly = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
      poly.setAttribute("points", r.evidence.local.polygon.map((p) => p.join(",")).join(" "));
      poly.setAttribute("class", "match" + (onlyId === r.id ? " chosen" : ""));
      poly.dataset.id = r.id;
      const label = r.product ? `${r.product.brand} ${r.product.title}` : r.path.split("/").pop();
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = `${label} — ${r.evidence.local.inliers} matching points`;
      poly.appendChild(title);
      poly.addEventListener("click", () => { onlyId = onlyId === r.id ? null : r.id; render(lastData); });
      svg.appendChild(poly);
    });
  }

  function card(r) {
    const [w, h] = r.size && r.size[0] ? r.size : [1, 1];
    const marks = (r.evidence.text_matches || []).map((m) => {
      const [x0, y0, x1, y1] = m.box;
      return `<span class="hit" style="left:${(100 * x0) / w}%;top:${(100 * y0) / h}%;width:${(100 * (x1 - x0)) / w}%;height:${(100 * (y1 - y0)) / h}%" title="${escapeHtml(m.term)}"></span>`;
    }).join("");
    const why = [];
    if (r.evidence.local) why.push(`<span class="badge exact">exact product · ${r.evidence.local.inliers} points</span>`);
    if (r.evidence.vector_rank !== null && r.evidence.vector_rank <= 10) why.push(`<span class="badge visual">visual match</span>`);
    if (r.evidence.text_terms.length) why.push(`<span class="badge text">text: ${r.evidence.text_terms.map(escapeHtml).join(", ")}</span>`);
    const p = r.product;
    const product = p ? `<strong>${escapeHtml(p.title || p.sku)}</strong><span>${escapeHtml(p.brand)}${p.price !== null ? ` · ${p.price.toFixed(2)} ${escapeHtml(p.currency)}` : ""}</span>` : `<span>${escapeHtml(r.path.split("/").pop())}</span>`;
    const when = r.kind === "frame" ? `<span class="badge">video ${timecode(r.time)}</span>` : "";
    return `<a class="card result" href="/items/${r.id}" data-id="${r.id}">
      <div class="thumb"><img src="/thumb/${r.id}" alt="" loading="lazy">${marks}</div>
      <div class="meta">${product}<span class="score">${(100 * r.score).toFixed(0)}% ${when}</span>${why.join(" ")}</div></a>`;
  }

  document.getElementById("text-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = document.getElementById("text").value.trim();
    if (!text) return;
    const form = new FormData();
    form.append("text", text);
    form.append("k", "24");
    run(form, `for “${text}”`);
  });

  // -- the photo: picker, drag-and-drop, paste
  document.getElementById("pick").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => fileInput.files[0] && usePhoto(fileInput.files[0]));
  ["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => { const f = e.dataTransfer.files[0]; if (f) usePhoto(f); });
  document.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
    if (item) usePhoto(item.getAsFile());
  });

  function usePhoto(file) {
    upload = file;
    onlyId = null;
    const url = URL.createObjectURL(file);
    photo.onload = async () => {
      natural = { w: photo.naturalWidth, h: photo.naturalHeight };
      lens.hidden = false;
      placeBox(0.05, 0.05, 0.9, 0.9);
      const form = new FormData();
      form.append("image", upload);
      form.append("k", "24");
      form.append("suggest", "1");
      const data = await run(form, "your photo");
      if (data) showSuggestions(data.query.suggestions || []);
    };
    photo.src = url;
  }

  function showSuggestions(list) {
    suggestionsLayer.innerHTML = "";
    list.forEach((s) => {
      const [x0, y0, x1, y1] = s.box;
      const b = document.createElement("button");
      b.className = "suggestion";
      b.type = "button";
      b.title = s.source === "text" ? "a label with text" : "an object";
      Object.assign(b.style, { left: `${(100 * x0) / natural.w}%`, top: `${(100 * y0) / natural.h}%`, width: `${(100 * (x1 - x0)) / natural.w}%`, height: `${(100 * (y1 - y0)) / natural.h}%` });
      b.addEventListener("click", () => { placeBox(x0 / natural.w, y0 / natural.h, (x1 - x0) / natural.w, (y1 - y0) / natural.h); searchBox(); });
      suggestionsLayer.appendChild(b);
    });
  }

  // -- the box, in fractions of the photo
  function placeBox(x, y, w, h) {
    w = Math.min(Math.max(w, 0.03), 1); h = Math.min(Math.max(h, 0.03), 1);
    x = Math.min(Math.max(x, 0), 1 - w); y = Math.min(Math.max(y, 0), 1 - h);
    Object.assign(box.style, { left: `${100 * x}%`, top: `${100 * y}%`, width: `${100 * w}%`, height: `${100 * h}%` });
    box.dataset.x = x; box.dataset.y = y; box.dataset.w = w; box.dataset.h = h;
  }

  function boxPixels() {
    const x = +box.dataset.x, y = +box.dataset.y, w = +box.dataset.w, h = +box.dataset.h;
    return [x * natural.w, y * natural.h, (x + w) * natural.w, (y + h) * natural.h].map((v) => Math.round(v)).join(",");
  }

  function searchBox() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      const form = new FormData();
      form.append("image", upload);
      form.append("box", boxPixels());
      form.append("k", "24");
      run(form, "the selected region");
    }, 250);
  }

  let drag = null;
  box.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    box.setPointerCapture(e.pointerId);
    const rect = stage.getBoundingClientRect();
    drag = { resize: e.target.classList.contains("handle"), startX: e.clientX, startY: e.clientY, rect,
             x: +box.dataset.x, y: +box.dataset.y, w: +box.dataset.w, h: +box.dataset.h };
  });
  box.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = (e.clientX - drag.startX) / drag.rect.width, dy = (e.clientY - drag.startY) / drag.rect.height;
    if (drag.resize) placeBox(drag.x, drag.y, drag.w + dx, drag.h + dy);
    else placeBox(drag.x + dx, drag.y + dy, drag.w, drag.h);
  });
  box.addEventListener("pointerup", () => { if (drag) { drag = null; searchBox(); } });
})();
