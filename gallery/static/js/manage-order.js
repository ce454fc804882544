// Manual order: drag and drop (or the Move up / Move down buttons) reorders the photos of
// this page and saves the new order at once. Without JavaScript the number inputs move photos.
const form = document.getElementById("order-form");
const list = document.getElementById("order-list");
const labels = document.getElementById("order-labels");

if (form && list && labels && window.fetch && window.URLSearchParams) {
  const text = labels.dataset;
  const status = document.getElementById("order-status");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const start = Number(form.dataset.start || 0);
  let dragged = null;
  let saving = Promise.resolve();

  for (const el of document.querySelectorAll(".js-only")) el.hidden = false;

  function items() { return Array.from(list.querySelectorAll(".order-item")); }

  function renumber() {
    items().forEach((item, i) => {
      const input = item.querySelector("input[type=number]");
      input.value = String(start + i + 1);
      input.defaultValue = input.value;
    });
  }

  function save() {
    const body = new URLSearchParams();
    body.append("start", String(start));
    body.append("order", items().map((i) => i.dataset.photoId).join(","));
    status.textContent = text.saving;
    saving = saving.then(async () => {
      try {
        const response = await fetch(form.action || window.location.pathname, {
          method: "POST",
          headers: { "X-CSRFToken": csrf, Accept: "application/json" },
          body,
          credentials: "same-origin",
        });
        const data = await response.json().catch(() => null);
        if (response.ok) status.textContent = text.saved;
        else status.textContent = text.failed + " " + (data && data.error ? data.error.message : "HTTP " + response.status);
      } catch (err) {
        status.textContent = text.failed + " " + err.message;
      }
    });
  }

  function moved() {
    renumber();
    save();
  }
  const orderOf = () => items().map((i) => i.dataset.photoId).join(",");
  let before = "";

  for (const item of items()) {
    item.draggable = true;
    const name = item.querySelector(".order-name").textContent.trim();
    const controls = document.createElement("span");
    controls.className = "order-controls";
    for (const [dir, label] of [["up", text.up], ["down", text.down]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary move-" + dir;
      button.textContent = label;
      button.setAttribute("aria-label", label + ": " + name);
      button.addEventListener("click", () => {
        if (dir === "up" && item.previousElementSibling) {
          list.insertBefore(item, item.previousElementSibling);
          moved();
        } else if (dir === "down" && item.nextElementSibling) {
          list.insertBefore(item.nextElementSibling, item);
          moved();
        }
        button.focus();
      });
      controls.append(button);
    }
    item.append(controls);
    item.addEventListener("dragstart", (event) => {
      dragged = item;
      before = orderOf();
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.photoId);
    });
    item.addEventListener("dragend", () => {
      item.classList.remove("dragging");
      dragged = null;
      if (orderOf() !== before) moved();
    });
    item.addEventListener("dragover", (event) => {
      if (!dragged || dragged === item) return;
      event.preventDefault();
      const box = item.getBoundingClientRect();
      const after = event.clientY > box.top + box.height / 2;
      list.insertBefore(dragged, after ? item.nextElementSibling : item);
    });
  }
  list.addEventListener("drop", (event) => event.preventDefault());
}
