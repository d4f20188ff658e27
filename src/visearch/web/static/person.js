// Person page: play a segment (seek to its start, stop at its end), rename, hide, merge, forget,
// and correct the person's faces (not this person, split into a new person).
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
      nowPlaying.textContent = t("Playing {start}–{end}", { start: timecode(start), end: timecode(end) });
      player.dataset.segmentStart = start;
      player.dataset.segmentEnd = end;
    });
  });
  if (player) player.addEventListener("timeupdate", () => {
    if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; nowPlaying.textContent += " — " + t("done"); }
  });

  const status = document.getElementById("person-status");
  const reportError = (error) => { status.textContent = error.message; status.classList.add("error"); };
  const json = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  document.getElementById("rename").addEventListener("submit", (e) => {
    e.preventDefault();
    const name = document.getElementById("new-name").value.trim();
    api(`/api/people/${id}/name`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ name }) })
      .then((person) => { document.getElementById("person-name").textContent = person.name; document.title = `${person.name} · visearch`; })
      .catch(reportError);
  });
  // Other names (a stage name, the other script): the whole list is sent, as the API replaces it.
  const aliasForm = document.getElementById("aliases"), aliasList = document.getElementById("alias-list");
  const newAlias = document.getElementById("new-alias");
  const aliases = () => [...aliasList.querySelectorAll(".remove-alias")].map((button) => button.dataset.alias);
  const showAliases = (person) => {
    aliasList.innerHTML = person.aliases.map((alias) => `<li><span>${escapeHtml(alias)}</span><button type="button" class="link remove-alias" data-alias="${escapeHtml(alias)}" aria-label="${escapeHtml(fill(aliasForm.dataset.removeLabel, { alias }))}">×</button></li>`).join("");
  };
  const saveAliases = (list, done) => api(`/api/people/${id}/aliases`, json({ aliases: list }))
    .then((person) => { showAliases(person); status.classList.remove("error"); done(person); }).catch(reportError);
  aliasForm.addEventListener("submit", (e) => {
    e.preventDefault();
    const alias = newAlias.value.trim();
    if (!alias) return;
    saveAliases([...aliases(), alias], () => { newAlias.value = ""; status.textContent = t("Also found as {alias} now.", { alias }); });
  });
  aliasList.addEventListener("click", (e) => {
    const button = e.target.closest(".remove-alias");
    if (!button) return;
    const alias = button.dataset.alias;
    saveAliases(aliases().filter((a) => a !== alias), () => { status.textContent = t("{alias} no longer finds this person.", { alias }); newAlias.focus(); });
  });
  document.getElementById("hide").addEventListener("click", (e) => {
    const hidden = e.target.dataset.hidden !== "1";
    api(`/api/people/${id}/hide`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ hidden }) })
      .then(() => location.reload()).catch(reportError);
  });
  const merge = document.getElementById("merge");
  if (merge) merge.addEventListener("submit", (e) => {
    e.preventDefault();
    const other = document.getElementById("merge-other").value;
    if (!other) return;
    api("/api/people/merge", json({ keep: Number(id), other: Number(other) })).then(() => location.reload()).catch(reportError);
  });

  const faces = document.querySelector(".grid.faces");
  if (faces) {
    const reject = document.getElementById("reject-faces"), split = document.getElementById("split-faces");
    const picked = () => [...faces.querySelectorAll(".select-face:checked")].map((box) => Number(box.value));
    faces.addEventListener("change", () => {
      const count = picked().length;
      reject.disabled = split.disabled = count === 0;
      document.getElementById("faces-picked").textContent = count ? tn("{n} selected:", "{n} selected:", count) : t("Select the faces that are someone else:");
      faces.querySelectorAll(".face-card").forEach((card) => card.classList.toggle("picked", card.querySelector("input").checked));
    });
    reject.addEventListener("click", async () => {
      try {
        for (const face of picked()) await api(`/api/faces/${face}/reject`, json({}));
        location.reload();
      } catch (error) { reportError(error); }
    });
    split.addEventListener("click", async () => {
      const name = prompt(t("Name the new person (or leave empty):"), "");
      if (name === null) return;
      try {
        const answer = await api(`/api/people/${id}/split`, json({ faces: picked(), name }));
        location.href = `/people/${answer.person.id}`;
      } catch (error) { reportError(error); }
    });
  }
  document.getElementById("forget").addEventListener("click", () => {
    if (!confirm(t("Forget this person? Their faces and clips are deleted and they will not be recognised again."))) return;
    api(`/api/people/${id}`, { method: "DELETE" }).then(() => { location.href = "/people"; }).catch(reportError);
  });
})();
