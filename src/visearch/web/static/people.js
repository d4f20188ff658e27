// People grid: name a person where they are shown, select cards and merge them into one.
"use strict";

(function () {
  const grid = document.querySelector(".grid.people");
  if (!grid) return;
  const status = document.getElementById("people-status");
  const mergeButton = document.getElementById("merge-selected");
  const clearButton = document.getElementById("clear-selection");
  const json = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const say = (text) => { status.textContent = text; };
  const cardOf = (id) => grid.querySelector(`.person-card[data-person="${id}"]`);
  const label = (card) => card.dataset.name || t("Unnamed person {id}", { id: card.dataset.person });

  function selected() {
    return [...grid.querySelectorAll(".select-person:checked")].map((box) => box.closest(".person-card"));
  }

  function refresh() {
    const cards = selected();
    grid.querySelectorAll(".person-card").forEach((card) => card.classList.toggle("picked", cards.includes(card)));
    mergeButton.disabled = cards.length < 2;
    mergeButton.textContent = cards.length >= 2 ? tn("Merge {n} person", "Merge {n} people", cards.length) : t("Merge selected");
    clearButton.hidden = cards.length === 0;
  }

  grid.addEventListener("change", (event) => {
    if (event.target.classList.contains("select-person")) refresh();
  });
  clearButton.addEventListener("click", () => {
    grid.querySelectorAll(".select-person:checked").forEach((box) => { box.checked = false; });
    refresh();
  });

  // Merge into the named person with the most faces (else the one with the most faces): the others join them.
  mergeButton.addEventListener("click", async () => {
    const cards = selected().sort((a, b) => (Boolean(b.dataset.name) - Boolean(a.dataset.name))
      || (Number(b.dataset.faces) - Number(a.dataset.faces)));
    const [keep, ...others] = cards;
    if (!confirm(t("Merge {others} into {keep}?", { others: others.map(label).join(", "), keep: label(keep) }))) return;
    mergeButton.disabled = true;
    const refused = [];
    for (const other of others) {
      try {
        await api("/api/people/merge", json({ keep: Number(keep.dataset.person), other: Number(other.dataset.person) }));
        other.remove();
      } catch (error) {
        refused.push(error.message);
      }
    }
    if (refused.length) {
      say(t("Not merged: {reasons}", { reasons: refused.join("; ") }));
      refresh();
    } else {
      location.reload();
    }
  });

  grid.addEventListener("change", async (event) => {
    const input = event.target;
    if (!input.classList.contains("card-name")) return;
    const card = input.closest(".person-card");
    const name = input.value.trim();
    if (!name || name === card.dataset.name) { input.value = card.dataset.name; return; }
    try {
      const person = await api(`/api/people/${card.dataset.person}/name`, json({ name }));
      card.dataset.name = person.name;
      say(t("Named {name}.", { name: person.name }));
    } catch (error) {
      input.value = card.dataset.name;
      say(t("Not renamed: {reason}", { reason: error.message }));
    }
  });
  grid.addEventListener("keydown", (event) => {
    if (event.target.classList.contains("card-name") && event.key === "Enter") event.target.blur();
  });
})();
