// Person page: play a segment (seek to its start, stop at its end), rename, hide, merge, forget.
"use strict";

(function () {
  const section = document.querySelector(".person");
  if (!section) return;
  const id = section.dataset.person;
  const player = document.getElementById("player");
  const nowPlaying = document.getElementById("now-playing");
  let stopAt = null;

  document.querySelectorAll(".segment").forEach((segment) => {
    segment.addEventListener("click", () => {
      const start = Number(segment.dataset.start), end = Number(segment.dataset.end);
      document.querySelectorAll(".segment.playing").forEach((s) => s.classList.remove("playing"));
      segment.classList.add("playing");
      stopAt = end;
      const begin = () => { player.currentTime = start; player.play().catch(() => {}); };
      if (player.getAttribute("src") !== segment.dataset.src) {
        player.setAttribute("src", segment.dataset.src);
        player.addEventListener("loadedmetadata", begin, { once: true });
        player.load();
      } else begin();
      nowPlaying.textContent = `Playing ${timecode(start)}–${timecode(end)}`;
      player.dataset.segmentStart = start;
      player.dataset.segmentEnd = end;
    });
  });
  if (player) player.addEventListener("timeupdate", () => {
    if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; nowPlaying.textContent += " — done"; }
  });

  const reportError = (error) => alert(error.message);
  document.getElementById("rename").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = document.getElementById("new-name").value.trim();
    api(`/api/people/${id}/name`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) })
      .then((person) => { document.getElementById("person-name").textContent = person.name; document.title = `${person.name} · visearch`; })
      .catch(reportError);
  });
  document.getElementById("hide").addEventListener("click", (e) => {
    const hidden = e.target.dataset.hidden !== "1";
    api(`/api/people/${id}/hide`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ hidden }) })
      .then(() => location.reload()).catch(reportError);
  });
  document.getElementById("merge").addEventListener("submit", (e) => {
    e.preventDefault();
    const other = document.getElementById("merge-other").value.trim();
    api("/api/people/merge", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ keep: Number(id), other: Number(other) }) })
      .then(() => location.reload()).catch(reportError);
  });
  document.getElementById("forget").addEventListener("click", () => {
    if (!confirm("Forget this person? Their faces and clips are deleted and they will not be recognised again.")) return;
    api(`/api/people/${id}`, { method: "DELETE" }).then(() => { location.href = "/people"; }).catch(reportError);
  });
})();
