// The search page: text queries and the lens (upload, a draggable, resizable, keyboard-movable box,
// suggestions). The query lives in the URL (?q=… or ?photo=ID&box=…), so Back, refresh and links work.
"use strict";

(function () {
  const results = document.getElementById("results");
  if (!results) return;
  const $ = (id) => document.getElementById(id);
  const status = $("status"), lens = $("lens"), photo = $("photo"), stage = $("stage"), box = $("box");
  const suggestionsLayer = $("suggestions"), fileInput = $("file"), drop = $("drop"), textInput = $("text");
  const MAX_SIDE = Number(lens.dataset.maxSide); // the server's query side (visearch/defaults.py): photos are shrunk to it before upload
  const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/tiff", "image/bmp"];
  let upload = null; // the id of the uploaded photo, once the server has it
  const shopping = lens.dataset.shop === "1"; // a video frame: catalogue products only
  let pendingFile = null; // a shrunk photo not uploaded yet
  let natural = { w: 1, h: 1 };
  let searchTimer = null, requestNumber = 0, lastData = null, onlyId = null;

  function setStatus(text) { status.textContent = text; }
  function fieldError(id, text) { const el = $(id); el.textContent = text || ""; el.hidden = !text; }

  // -- the banner: notes from the server, shown once, dismissable
  const dismissed = new Set(JSON.parse(localStorage.getItem("visearch-dismissed") || "[]"));
  function banner(notes) {
    const list = $("banner-list");
    const fresh = notes.filter((n) => n && !dismissed.has(n));
    list.innerHTML = fresh.map((n) => `<li>${escapeHtml(n)}</li>`).join("");
    $("banner").hidden = !fresh.length;
  }
  $("banner-close").addEventListener("click", () => {
    document.querySelectorAll("#banner-list li").forEach((li) => dismissed.add(li.textContent));
    localStorage.setItem("visearch-dismissed", JSON.stringify([...dismissed]));
    $("banner").hidden = true;
  });
  const encoderNote = $("encoder-note") ? $("encoder-note").content.textContent.trim() : "";

  async function run(formData, label) {
    const mine = ++requestNumber;
    setStatus(t("Searching {what}…", { what: label }));
    for (let attempt = 0; attempt < 120; attempt++) {
      try {
        const data = await api("/api/search", { method: "POST", body: formData });
        if (mine !== requestNumber) return null; // a newer search replaced this one
        render(data);
        return data;
      } catch (error) {
        if (error.loading) { setStatus(t("Loading search models… the first search takes a moment.")); await new Promise((r) => setTimeout(r, 1500)); continue; }
        if (mine === requestNumber) { setStatus(error.message); results.innerHTML = ""; }
        return null;
      }
    }
  }

  function render(data) {
    lastData = data;
    if (data.query && data.query.upload) upload = data.query.upload; // before the cards: "Cut out" needs it
    drawMatches(data.results);
    // the page says this once already (the encoder note above the results), in the same words
    const offNote = t("text-to-image search is off: this library's CLIP model is not semantic; results come from OCR and catalogue text only");
    const notes = (data.notices || []).filter((n) => n !== offNote);
    banner([encoderNote, ...notes]);
    let list = data.results;
    if (onlyId !== null) list = list.filter((r) => r.id === onlyId);
    if (!data.results.length) {
      setStatus(t("No results"));  // the card below says why, once
      results.innerHTML = emptyState(data);
      const focusText = $("focus-text");
      if (focusText) focusText.addEventListener("click", () => textInput.focus());
      return;
    }
    const shown = onlyId !== null ? " · " + t("one outlined product shown") : "";
    // On a phone the photo fills the first screen: bring the answer up to meet the shopper.
    if (data.query.type === "image" && window.matchMedia("(max-width: 600px)").matches) {
      requestAnimationFrame(() => status.scrollIntoView({ block: "start" }));
    }
    setStatus(`${data.message ? data.message + " " : ""}${tn("{n} result", "{n} results", data.results.length)}${shown}`);
    results.innerHTML = (onlyId !== null ? `<p class="inline-note"><button type="button" class="link" id="show-all">${escapeHtml(t("Show all results"))}</button></p>` : "") + answerCards(data, list);
    const showAll = $("show-all");
    if (showAll) showAll.addEventListener("click", () => { onlyId = null; render(lastData); });
  }

  // The answer's shape: "one of these variants" leads when the photo does not tell them apart; products
  // verified elsewhere in the photo follow under "also in this photo".
  function answerCards(data, list) {
    const variants = new Set(data.variants || []), also = new Set(data.also || []);
    const main = list.filter((r) => !also.has(r.id)), others = list.filter((r) => also.has(r.id));
    let html = "";
    if (variants.size > 1 && main.some((r) => variants.has(r.id))) {
      html += `<h2 class="answer-head" id="variants-head">${escapeHtml(tn("One of these {n} variants", "One of these {n} variants", variants.size))}</h2>`;
    }
    html += main.map(card).join("");
    if (others.length) html += `<h2 class="answer-head" id="also-head">${escapeHtml(t("Also in this photo"))}</h2>` + others.map(card).join("");
    return html;
  }

  function emptyState(data) {
    const photoQuery = data.query && data.query.type === "image";
    const tips = photoQuery
      ? `<li>${escapeHtml(t("Draw the box tightly around one product: the search then ignores the rest of the photo."))}</li><li><button type="button" class="link" id="focus-text">${escapeHtml(t("Search by the words on its package instead"))}</button></li>`
      : `<li>${escapeHtml(t("Try fewer or other words: a brand, a model number, a word printed on the item."))}</li>`;
    return `<div class="empty-state"><p><strong>${escapeHtml(photoQuery ? t("Nothing in this library matches this photo.") : t("Nothing matches these words."))}</strong></p><ul>${tips}</ul></div>`;
  }

  // Verified products, outlined where they are in the photo; a click shows only that one.
  function drawMatches(list) {
    let svg = $("matches");
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
      const kind = (r.reasons || []).includes("also") ? " also" : (r.reasons || []).includes("variant") ? " variant" : "";
      poly.setAttribute("class", "match" + kind + (onlyId === r.id ? " chosen" : ""));
      poly.dataset.id = r.id;
      const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
      title.textContent = `${r.product ? `${r.product.brand} ${r.product.title}` : r.path.split("/").pop()} — ${tn("{n} matching point", "{n} matching points", r.evidence.local.inliers)}`;
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
    const reasons = r.reasons || [];
    const why = [];
    const partialTitle = t("the matching points cover only a small part of this product, such as a logo it shares with others");
    if (reasons.includes("exact")) why.push(`<span class="badge exact">${escapeHtml(t("exact product"))} · ${escapeHtml(tn("{n} point", "{n} points", r.evidence.local.inliers))}</span>`);
    const variantTitle = t("the photo does not show what tells these variants apart: check the pack");
    if (reasons.includes("variant")) why.push(`<span class="badge variant" title="${escapeHtml(variantTitle)}">${escapeHtml(t("one of the variants"))}</span>`);
    if (reasons.includes("also")) why.push(`<span class="badge also">${escapeHtml(t("also in this photo"))}</span>`);
    if (reasons.includes("partial")) why.push(`<span class="badge partial" title="${escapeHtml(partialTitle)}">${escapeHtml(t("same logo or part of the package"))}</span>`);
    if (reasons.includes("visual")) why.push(`<span class="badge visual">${escapeHtml(r.evidence.vector_score !== null && lastData.query.type === "image" ? t("looks alike") : t("matches the description"))}</span>`);
    if (reasons.includes("text")) why.push(`<span class="badge text">${escapeHtml(t("text: {words}", { words: r.evidence.text_terms.join(", ") }))}</span>`);
    const p = r.product;
    const product = p ? `<strong>${escapeHtml(p.title || p.sku)}</strong><span>${escapeHtml(p.brand)}${p.price !== null ? ` · ${escapeHtml(price(p.price, p.currency))}` : ""}</span>` : `<span class="name">${escapeHtml(r.path.split("/").pop())}</span>`;
    const when = r.kind === "frame" ? `<span class="badge">${escapeHtml(t("video {time}", { time: timecode(r.time) }))}</span>` : "";
    const link = `<a class="card result" href="/items/${r.id}" data-id="${r.id}">
      <div class="thumb"><img src="/thumb/${r.id}" alt="" loading="lazy">${marks}</div>
      <div class="meta">${product}<span class="score">${r.evidence.local ? "" : `${(100 * r.score).toFixed(0)}% `}${when}</span><span class="reasons">${why.join(" ")}</span></div></a>`;
    if (!(upload && p && r.evidence.local)) return link;
    return `<div class="result-wrap">${link}<span class="result-tools"><button type="button" class="link cutout-button" data-id="${r.id}">${escapeHtml(t("Cut out"))}</button> · <button type="button" class="link cutout-button" data-id="${r.id}" data-blur="1">${escapeHtml(t("Blur the background"))}</button></span></div>`;
  }

  // A cut-out or a blurred photo from POST /api/cutout, shown in the dialog with a download link.
  async function showCut(body, name, button) {
    button.disabled = true;
    try {
      const response = await fetch("/api/cutout", { method: "POST", headers: { "Content-Type": "application/json", "X-Visearch-Token": token() },
        body: JSON.stringify(body) });
      if (!response.ok) throw new Error((await response.json()).error);
      const notice = response.headers.get("X-Visearch-Notice");
      if (notice) setStatus(decodeURIComponent(notice));
      const url = URL.createObjectURL(await response.blob());
      $("cutout-image").src = url;
      $("cutout-download").href = url;
      $("cutout-download").download = `${name}.${body.blur !== undefined ? "jpg" : "png"}`;
      $("cutout-dialog").showModal();
    } catch (error) {
      setStatus(error.message);
    } finally {
      button.disabled = false;
    }
  }
  const BLUR = Number(lens.dataset.blur); // the server's default strength (visearch/defaults.py)
  const chosenBox = () => (+box.dataset.w < 0.89 || +box.dataset.h < 0.89 ? boxPixels() : undefined); // the user's box, if moved
  $("cut-person").addEventListener("click", (e) => showCut({ upload, person: true, box: chosenBox() }, "person", e.currentTarget));
  $("blur-person").addEventListener("click", (e) => showCut({ upload, person: true, blur: BLUR, box: chosenBox() }, "portrait", e.currentTarget));

  // "Cut out" and "Blur the background" on a product: seeded by its verified outline.
  results.addEventListener("click", (event) => {
    const button = event.target.closest(".cutout-button");
    if (!button) return;
    const r = lastData.results.find((x) => x.id === Number(button.dataset.id));
    const body = { upload, outline: r.evidence.local.polygon, item: r.id };
    if (button.dataset.blur) body.blur = BLUR;
    showCut(body, (r.product && r.product.sku) || "cutout", button);
  });

  // -- text
  function searchText(text, push) {
    clearPhoto(false);
    const form = new FormData();
    form.append("text", text);
    form.append("k", "24");
    if (push) history.pushState({ q: text }, "", `/?q=${encodeURIComponent(text)}`);
    run(form, t("for “{text}”", { text }));
  }
  $("text-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = textInput.value.trim();
    fieldError("text-error", "");
    if (!text) { fieldError("text-error", t("Type some words to search for, or use a photo below.")); return; }
    searchText(text, true);
  });

  // -- the photo: picker, drag-and-drop, paste; shrunk in the browser, refused with a message if not an image
  $("pick").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => { if (fileInput.files[0]) usePhoto(fileInput.files[0]); fileInput.value = ""; });
  ["dragenter", "dragover"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((name) => drop.addEventListener(name, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => { const f = e.dataTransfer.files[0]; if (f) usePhoto(f); });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); fileInput.click(); } });
  document.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.type.startsWith("image/"));
    if (item) usePhoto(item.getAsFile());
  });

  function notAnImage(name) {
    fieldError("file-error", t("{name} is not an image. Choose a photo: JPEG, PNG, WebP, GIF, TIFF or BMP.", { name }));
  }

  async function shrink(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size < 4e6) { bitmap.close(); return file; }
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale); canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.92));
  }

  async function usePhoto(file) {
    fieldError("file-error", "");
    const name = file.name || t("The pasted file");
    if (file.type && !IMAGE_TYPES.includes(file.type) && !file.type.startsWith("image/")) { notAnImage(name); return; }
    let small;
    try { small = await shrink(file); } catch (_) { notAnImage(name); return; }
    pendingFile = small; upload = null; onlyId = null;
    showPhoto(URL.createObjectURL(small), null, true);
  }

  function showPhoto(src, boxText, isNew) {
    photo.onerror = () => { fieldError("file-error", t("This photo could not be shown; choose it again.")); clearPhoto(false); };
    photo.onload = async () => {
      natural = { w: photo.naturalWidth, h: photo.naturalHeight };
      lens.hidden = false;
      $("workspace").classList.add("with-photo");
      const b = parseBox(boxText);
      if (b) placeBox(b[0] / natural.w, b[1] / natural.h, (b[2] - b[0]) / natural.w, (b[3] - b[1]) / natural.h);
      else placeBox(0.05, 0.05, 0.9, 0.9);
      const form = photoForm(b ? boxPixels() : null);
      form.append("suggest", "1");
      const data = await run(form, t("your photo"));
      if (data) {
        upload = data.query.upload;
        pendingFile = null;
        if (isNew) history.pushState({ photo: upload }, "", `/?photo=${upload}`);
        showSuggestions(data.query.suggestions || []);
      }
    };
    photo.src = src;
  }

  function photoForm(boxText) {
    const form = new FormData();
    if (upload) form.append("upload", upload); else form.append("image", pendingFile, "photo.jpg");
    if (boxText) form.append("box", boxText);
    form.append("k", "24");
    if (shopping) form.append("products", "1");
    return form;
  }

  function clearPhoto(push) {
    lens.hidden = true;
    $("workspace").classList.remove("with-photo");
    upload = null; pendingFile = null; onlyId = null;
    photo.removeAttribute("src");
    suggestionsLayer.innerHTML = "";
    const svg = $("matches"); if (svg) svg.innerHTML = "";
    if (push) { results.innerHTML = ""; setStatus(""); history.pushState({}, "", "/"); }
  }
  $("clear-photo").addEventListener("click", () => clearPhoto(true));

  function showSuggestions(list) {
    suggestionsLayer.innerHTML = "";
    list.forEach((s) => {
      const [x0, y0, x1, y1] = s.box;
      const b = document.createElement("button");
      b.className = "suggestion";
      b.type = "button";
      b.title = s.source === "text" ? t("a label with text") : t("an object");
      b.setAttribute("aria-label", t("Search {what}", { what: b.title }));
      Object.assign(b.style, { left: `${(100 * x0) / natural.w}%`, top: `${(100 * y0) / natural.h}%`, width: `${(100 * (x1 - x0)) / natural.w}%`, height: `${(100 * (y1 - y0)) / natural.h}%` });
      b.addEventListener("click", () => { placeBox(x0 / natural.w, y0 / natural.h, (x1 - x0) / natural.w, (y1 - y0) / natural.h); searchBox(); });
      suggestionsLayer.appendChild(b);
    });
  }

  // -- the box, in fractions of the photo; searched in the photo's pixels
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

  function parseBox(text) {
    const values = (text || "").split(",").map(Number);
    return values.length === 4 && values.every(Number.isFinite) ? values : null;
  }

  function searchBox() {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      if (upload) history.replaceState({ photo: upload }, "", `/?photo=${upload}&box=${boxPixels()}`);
      run(photoForm(boxPixels()), t("the selected region"));
    }, 250);
  }

  let drag = null;
  box.addEventListener("pointerdown", (e) => {
    e.preventDefault();
    box.setPointerCapture(e.pointerId);
    drag = { resize: e.target.classList.contains("handle"), startX: e.clientX, startY: e.clientY, rect: stage.getBoundingClientRect(),
             x: +box.dataset.x, y: +box.dataset.y, w: +box.dataset.w, h: +box.dataset.h };
  });
  box.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const dx = (e.clientX - drag.startX) / drag.rect.width, dy = (e.clientY - drag.startY) / drag.rect.height;
    if (drag.resize) placeBox(drag.x, drag.y, drag.w + dx, drag.h + dy);
    else placeBox(drag.x + dx, drag.y + dy, drag.w, drag.h);
  });
  box.addEventListener("pointerup", () => { if (drag) { drag = null; searchBox(); } });
  box.addEventListener("keydown", (e) => {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[e.key];
    if (!step) return;
    e.preventDefault();
    const d = 0.02, x = +box.dataset.x, y = +box.dataset.y, w = +box.dataset.w, h = +box.dataset.h;
    if (e.shiftKey) placeBox(x, y, w + step[0] * d, h + step[1] * d);
    else placeBox(x + step[0] * d, y + step[1] * d, w, h);
    searchBox();
  });

  // -- the URL: restore a search on load, Back and Forward
  function restore() {
    const params = new URLSearchParams(location.search);
    const q = params.get("q"), id = params.get("photo");
    if (q) { textInput.value = q; searchText(q, false); }
    else if (id) { upload = id; showPhoto(`/queries/${encodeURIComponent(id)}`, params.get("box"), false); }
    else { clearPhoto(false); results.innerHTML = ""; setStatus(""); banner([encoderNote]); }
  }
  window.addEventListener("popstate", restore);
  restore();
})();
