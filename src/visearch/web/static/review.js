// Questions about people, answered with one click or one key: "Is this Karina?" (Y yes, N no, S skip) and
// "Same person?" (Y merges, N keeps them apart). J and K move between questions. Used by the review page
// and the suggestions on a person's page.
"use strict";

(function () {
  const questions = () => [...document.querySelectorAll(".question:not(.answered)")];
  if (!questions().length) return;
  const status = document.getElementById("review-status") || document.getElementById("person-status");
  const json = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const say = (text, error) => { if (status) { status.textContent = text; status.classList.toggle("error", Boolean(error)); } };

  function request(card, answer) {
    if (card.classList.contains("merge-question")) {
      return api("/api/people/merges/answer", json({ keep: Number(card.dataset.keep), other: Number(card.dataset.other), answer }));
    }
    return api("/api/people/review/answer", json({ face: Number(card.dataset.face), person: Number(card.dataset.person), answer }));
  }

  async function answer(card, value) {
    if (!card || card.classList.contains("busy")) return;
    const next = questions()[questions().indexOf(card) + 1];
    card.classList.add("busy");
    try {
      await request(card, value);
      card.classList.add("answered", `answered-${value}`);
      card.querySelectorAll("button").forEach((button) => { button.disabled = true; });
      const left = document.querySelectorAll(".face-question:not(.answered)").length;
      say(value === "skip" ? t("Skipped.") : tn("{n} face left to review", "{n} faces left to review", left));
      if (next) next.focus();
    } catch (error) {
      say(error.status === 404 || error.status === 409 ? t("This question no longer stands: {reason}", { reason: error.message })
        : error.message, true);
      if (error.status === 404 || error.status === 409) card.classList.add("answered", "stale");
    } finally {
      card.classList.remove("busy");
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".question button[data-answer]");
    if (button) answer(button.closest(".question"), button.dataset.answer);
  });

  const keys = { y: "yes", n: "no", s: "skip" };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName)) return;
    const open = questions();
    const current = document.activeElement && document.activeElement.closest(".question:not(.answered)");
    const key = event.key.toLowerCase();
    if (key === "j" || key === "k") {
      const at = current ? open.indexOf(current) : -1;
      const target = open[Math.min(Math.max(at + (key === "j" ? 1 : -1), 0), open.length - 1)];
      if (target) { target.focus(); event.preventDefault(); }
      return;
    }
    if (!(key in keys)) return;
    const card = current || open[0];
    if (!card || (keys[key] === "skip" && card.classList.contains("merge-question"))) return;
    event.preventDefault();
    answer(card, keys[key]);
  });
  const first = questions()[0];
  if (first && document.querySelector(".review")) first.focus();
})();
