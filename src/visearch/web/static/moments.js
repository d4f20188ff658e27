// Moments page: query by words, picture and person; play, download and save as a tag; show a tag's
// moments and its borderline ones; remove tags.
"use strict";

(function () {
  const form = document.getElementById("moments-form");
  if (!form) return;
  const status = document.getElementById("moments-status");
  const results = document.getElementById("moment-results");
  const player = document.getElementById("player");
  const nowPlaying = document.getElementById("now-playing");
  const saveForm = document.getElementById("save-tag");
  let lastQuery = null; // the JSON body that found the moments shown, to save as a tag
  let stopAt = null;

  function fail(error) { status.textContent = error.message; status.classList.add("error"); }

  function describeEvidence(evidence) {
    const parts = [];
    if (evidence.text) parts.push(t("words: {words}", { words: evidence.text.words.join(" ") }));
    if (evidence.image) parts.push(t("picture: {points}", { points: tn("{n} matching point", "{n} matching points", evidence.image.inliers) }));
    const unnamed = evidence.person ? t("Unnamed person {id}", { id: evidence.person.id }) : "";
    if (evidence.person) parts.push(t("person: {name}", { name: evidence.person.name || unnamed }));
    if (evidence.clip_text) parts.push(t("looks like: {score}", { score: evidence.clip_text.similarity }));
    return parts.join(" · ");
  }

  // "Shop this frame": the catalogue products in the frame on screen (paused wherever the user stopped it).
  const shop = document.getElementById("shop-frame");
  let playingVideo = null;
  shop.addEventListener("click", () => {
    player.pause();
    location.href = `/shop/${playingVideo}?t=${player.currentTime.toFixed(3)}`;
  });

  function play(moment) {
    stopAt = moment.end;
    player.hidden = false;
    playingVideo = moment.video_id;
    shop.hidden = false;
    const src = `/media/video/${moment.video_id}`;
    const begin = () => { player.currentTime = moment.start; player.play().catch(() => {}); };
    if (player.getAttribute("src") !== src) {
      player.setAttribute("src", src);
      player.addEventListener("loadedmetadata", begin, { once: true });
      player.load();
    } else begin();
    nowPlaying.textContent = t("Playing {start}–{end}", { start: timecode(moment.start), end: timecode(moment.end) });
  }
  player.addEventListener("timeupdate", () => {
    if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
  });

  function show(data, heading) {
    results.replaceChildren();
    status.classList.remove("error");
    status.textContent = `${heading || data.query}: ${tn("{n} moment", "{n} moments", data.moments.length)}`
      + (data.notes || []).map((note) => ` — ${note}`).join("");
    for (const moment of data.moments) {
      const card = document.createElement("article");
      card.className = "moment";
      const thumb = document.createElement("img");
      if (moment.thumbnail_item) thumb.src = `/thumb/${moment.thumbnail_item}`;
      thumb.alt = "";
      const text = document.createElement("div");
      const name = moment.video.split("/").pop();
      text.innerHTML = `<strong>${escapeHtml(name)}</strong> <span>${timecode(moment.start)}–${timecode(moment.end)}</span>` +
        ` <small>${escapeHtml(t("score {score}", { score: moment.score.toFixed(2) }))}</small><br><small>${escapeHtml(describeEvidence(moment.evidence || {}))}</small>`;
      const playButton = document.createElement("button");
      playButton.type = "button";
      playButton.textContent = t("Play");
      playButton.className = "play-moment";
      playButton.addEventListener("click", () => play(moment));
      const download = document.createElement("a");
      download.href = `/export/clip/${moment.video_id}?start=${moment.start}&end=${moment.end}`;
      download.textContent = t("download");
      card.append(thumb, text, playButton, download);
      results.append(card);
    }
    for (const near of data.closest || []) results.append(closestCard(near));
  }

  // Words that found nothing: the nearest line read on screen, to play and to search for as it was read.
  function closestCard(near) {
    const card = document.createElement("article");
    card.className = "moment closest";
    const text = document.createElement("div");
    text.innerHTML = `<strong>${escapeHtml(t("Nothing shows “{query}”; the closest text read is “{text}”", near))}</strong><br>`
      + `<small>${escapeHtml(near.video.split("/").pop())} ${timecode(near.time)}</small>`;
    const playButton = document.createElement("button");
    playButton.type = "button";
    playButton.textContent = t("Play");
    playButton.addEventListener("click", () => play({ video_id: near.video_id, start: Math.max(0, near.time - 1), end: near.time + 4 }));
    const again = document.createElement("button");
    again.type = "button";
    again.className = "link search-closest";
    again.textContent = t("Search for “{text}”", near);
    again.addEventListener("click", () => { document.getElementById("moment-text").value = near.text; form.requestSubmit(); });
    card.append(text, playButton, again);
    return card;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData();
    const text = document.getElementById("moment-text").value.trim();
    const person = document.getElementById("moment-person").value;
    const clip = document.getElementById("moment-clip-text");
    const image = document.getElementById("moment-image").files[0];
    if (text) body.append("text", text);
    if (person) body.append("person", person);
    if (clip && clip.value.trim()) body.append("clip_text", clip.value.trim());
    if (image) body.append("image", image);
    if (document.getElementById("moment-any").checked) body.append("any", "1");
    status.textContent = t("Looking…");
    try {
      const data = await api("/api/moments", { method: "POST", body });
      lastQuery = { text: text || undefined, person: person ? Number(person) : undefined,
                    clip_text: clip && clip.value.trim() ? clip.value.trim() : undefined,
                    upload: data.upload || undefined, any: document.getElementById("moment-any").checked };
      show(data);
      saveForm.hidden = false;
    } catch (error) { fail(error); }
  });

  saveForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = Object.assign({ name: document.getElementById("tag-name").value.trim() }, lastQuery);
    const threshold = document.getElementById("tag-threshold").value;
    if (threshold !== "") body.threshold = Number(threshold);
    try {
      const tag = await api("/api/tags", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      location.href = `/moments?tag=${tag.id}`;
    } catch (error) { fail(error); }
  });

  async function showTag(id, borderline) {
    try {
      const data = await api(`/api/tags/${id}${borderline ? "?borderline=1" : ""}`);
      show(data, borderline ? t("{name}, just under its threshold", { name: data.tag.name }) : `${data.tag.name} (${data.tag.query})`);
    } catch (error) { fail(error); }
  }
  document.querySelectorAll(".show-borderline").forEach((b) => b.addEventListener("click", () => showTag(b.dataset.tag, true)));
  document.querySelectorAll(".remove-tag").forEach((b) => b.addEventListener("click", async () => {
    if (!confirm(t("Remove the tag “{name}” and its moments?", { name: b.dataset.name }))) return;
    try { await api(`/api/tags/${b.dataset.tag}`, { method: "DELETE" }); location.href = "/moments"; } catch (error) { fail(error); }
  }));
  if (form.dataset.tag) showTag(form.dataset.tag, false);
})();
