// Faces without a person, in stacks: name a stack (a new person), give it to someone, or hide it as strangers.
"use strict";

(function () {
  const status = document.getElementById("pool-status");
  const json = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  async function settle(stack, body, done) {
    const faces = stack.dataset.faces.split(",").map(Number);
    stack.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    try {
      const person = await api("/api/people/unassigned", json(Object.assign({ faces }, body)));
      stack.classList.add("settled");
      status.classList.remove("error");
      status.textContent = done(person);
    } catch (error) {
      status.textContent = error.message;
      status.classList.add("error");
      stack.querySelectorAll("button").forEach((button) => { button.disabled = false; });
    }
  }

  document.querySelectorAll(".stack").forEach((stack) => {
    stack.querySelector(".stack-name").addEventListener("submit", (event) => {
      event.preventDefault();
      const name = event.target.elements.name.value.trim();
      if (name) settle(stack, { action: "name", name }, (person) => t("Now {name}.", { name: person.name }));
    });
    const assign = stack.querySelector(".stack-assign");
    if (assign) assign.addEventListener("submit", (event) => {
      event.preventDefault();
      const person = Number(event.target.elements.person.value);
      if (person) settle(stack, { action: "assign", person },
        (found) => t("Given to {name}.", { name: found.name || t("Unnamed person {id}", { id: found.id }) }));
    });
    stack.querySelector(".stack-hide").addEventListener("click", () =>
      settle(stack, { action: "hide" }, () => t("Hidden as strangers; their later faces stay hidden too.")));
  });
})();
