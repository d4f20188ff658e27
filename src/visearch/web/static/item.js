// Item page: overlay toggles, the player at the frame's moment, similar items.
"use strict";

(function () {
  const section = document.querySelector(".item");
  if (!section) return;
  const id = section.dataset.item;
  document.getElementById("show-ocr").addEventListener("change", (e) => { document.getElementById("ocr-layer").hidden = !e.target.checked; });
  document.getElementById("show-faces").addEventListener("change", (e) => { document.getElementById("face-layer").hidden = !e.target.checked; });
  const player = document.getElementById("player");
  if (player) {
    player.addEventListener("loadedmetadata", () => { player.currentTime = Number(player.dataset.time) || 0; });
    // "Shop this frame" shops the frame on screen: pause anywhere, then click.
    const shop = document.getElementById("shop-frame");
    if (shop) shop.addEventListener("click", (event) => {
      event.preventDefault();
      player.pause();
      location.href = `${shop.dataset.base}?t=${player.currentTime.toFixed(3)}`;
    });
    player.addEventListener("play", () => { document.getElementById("ocr-layer").hidden = true; document.getElementById("face-layer").hidden = true; });
  }
  api(`/api/items/${id}/similar?k=12`).then((data) => {
    const grid = document.getElementById("similar");
    if (!data.results.length) { grid.innerHTML = `<p class="empty">${escapeHtml(t("Nothing similar yet."))}</p>`; return; }
    grid.innerHTML = data.results.map((r) => `<a class="card" href="/items/${r.id}"><img src="/thumb/${r.id}" alt="" loading="lazy">
      <small>${escapeHtml(r.product ? r.product.title : r.path.split("/").pop())}${r.kind === "frame" ? " · " + timecode(r.time) : ""}</small></a>`).join("");
  }).catch((error) => {
    document.getElementById("similar").innerHTML = `<p class="status">${escapeHtml(error.loading ? t("Search models are loading; reload in a moment.") : error.message)}</p>`;
  });
})();

// The video's timeline: a click plays that span in the player above, and stops at its end.
(function () {
  const player = document.getElementById("player");
  if (!player) return;
  let stopAt = null;
  document.querySelectorAll(".video-timeline .segment").forEach((segment) => {
    segment.addEventListener("click", () => {
      document.querySelectorAll(".video-timeline .segment.playing").forEach((s) => s.classList.remove("playing"));
      segment.classList.add("playing");
      stopAt = Number(segment.dataset.end);
      const begin = () => { player.currentTime = Number(segment.dataset.start); player.play().catch(() => {}); };
      if (player.readyState >= 1) begin(); else player.addEventListener("loadedmetadata", begin, { once: true });
    });
  });
  player.addEventListener("timeupdate", () => {
    if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
  });
})();
