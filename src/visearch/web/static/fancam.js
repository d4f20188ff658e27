// "Make fancam" panels: start a background job, show its progress, then play and offer the file.
"use strict";

(function () {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function describe(result) {
    const who = (result.members || []).map((m) => t("{name} (seen {share}%)", { name: m.name, share: Math.round(100 * m.seen) })).join(", ");
    const size = (result.size || []).join("×");
    return t("Done: {who}, {start}–{end}, {size}", { who, start: timecode(result.start), end: timecode(result.end), size })
      + (result.audio ? "" : ", " + t("no sound in the source")) + ".";
  }

  async function make(panel) {
    const start = panel.querySelector(".fancam-start");
    const status = panel.querySelector(".fancam-status");
    const progress = panel.querySelector(".fancam-progress");
    const result = panel.querySelector(".fancam-result");
    const who = panel.querySelector(".fancam-who");
    const choice = who ? who.value : panel.dataset.person;
    const body = { video: Number(panel.dataset.video), aspect: panel.querySelector(".fancam-aspect").value };
    if (choice === "grid") body.grid = true; else body.person = Number(choice);
    if (panel.querySelector(".fancam-blur").checked) body.blur = Number(panel.dataset.blur); // the focus-cam look
    start.disabled = true;
    status.classList.remove("error");
    status.textContent = t("Starting…");
    result.hidden = true;
    try {
      let job = await api("/api/fancams", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
      progress.hidden = false;
      while (job.state === "queued" || job.state === "running") {
        progress.value = job.progress;
        status.textContent = job.state === "queued" ? t("Waiting for another fancam to finish…") : t("Making the fancam… {share}%", { share: Math.round(100 * job.progress) });
        await sleep(1000);
        job = await api(`/api/fancams/${job.id}`);
      }
      if (job.state !== "done") throw new Error(job.error || t("the fancam could not be made"));
      const player = panel.querySelector(".fancam-player");
      player.src = job.file;
      panel.querySelector(".fancam-download").href = `${job.file}?download=1`;
      result.hidden = false;
      status.textContent = describe(job.result);
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("error");
    } finally {
      progress.hidden = true;
      start.disabled = false;
    }
  }

  document.querySelectorAll(".fancam").forEach((panel) => {
    panel.querySelector(".fancam-start").addEventListener("click", () => make(panel));
  });
})();
