// Photo grid: save one photo's caption, alt text and credit without reloading the page.
// Ctrl/Cmd+Enter saves the photo and moves to the next one; leaving a changed field saves
// it too. Without JavaScript the grid is one plain form ("Save all changes").
const form = document.getElementById("grid-form");
const labels = document.getElementById("grid-labels");

if (form && labels && window.fetch && window.URLSearchParams) {
  const text = labels.dataset;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const saveBase = form.dataset.saveUrl.replace(/0$/, "");
  const FIELDS = ["caption", "alt_text", "credit"];
  const inFlight = new Map();

  for (const el of document.querySelectorAll(".js-only")) el.hidden = false;
  for (const el of document.querySelectorAll(".no-js")) el.hidden = true;

  function rowOf(el) { return el.closest(".photo-row"); }
  function input(row, name) { return row.querySelector(`[name="${name}-${row.dataset.photoId}"]`); }
  function original(row, name) { return row.querySelector(`[name="o-${name}-${row.dataset.photoId}"]`); }
  function changed(row) { return FIELDS.some((f) => input(row, f) && input(row, f).value !== original(row, f).value); }

  function show(row, kind, message) {
    const status = row.querySelector(".row-status");
    status.className = "row-status " + kind;
    status.textContent = message;
  }

  function clearErrors(row) {
    for (const el of row.querySelectorAll(".error.js-error")) el.remove();
    for (const f of FIELDS) {
      const el = input(row, f);
      if (el) el.removeAttribute("aria-invalid");
    }
  }

  function fieldError(row, field, message) {
    const el = input(row, field);
    if (!el) return;
    el.setAttribute("aria-invalid", "true");
    const p = document.createElement("p");
    p.className = "error js-error";
    p.textContent = message;
    el.insertAdjacentElement("afterend", p);
  }

  async function save(row) {
    if (!changed(row)) return true;
    if (inFlight.has(row)) return inFlight.get(row);
    const body = new URLSearchParams();
    for (const f of FIELDS) {
      if (!input(row, f)) continue;
      body.append(f, input(row, f).value);
      body.append("o-" + f, original(row, f).value);
    }
    show(row, "saving", text.saving);
    const job = (async () => {
      let response;
      try {
        response = await fetch(saveBase + row.dataset.photoId, {
          method: "POST",
          headers: { "X-CSRFToken": csrf, Accept: "application/json" },
          body,
          credentials: "same-origin",
        });
      } catch (err) {
        show(row, "failed", text.failed + " " + err.message);
        return false;
      }
      let data = null;
      try { data = await response.json(); } catch (err) { data = null; }
      clearErrors(row);
      if (response.ok && data) {
        for (const f of FIELDS) {
          if (original(row, f) && f in data) original(row, f).value = data[f];
          // keep what the user typed since the request left; the server's value otherwise
          if (input(row, f) && input(row, f).value === body.get(f)) input(row, f).value = data[f];
        }
        show(row, "saved", data.saved ? text.saved : text.unchanged);
        return true;
      }
      if (response.status === 409) {
        show(row, "failed", text.conflict);
      } else if (data && data.error) {
        if (data.error.field) fieldError(row, data.error.field, data.error.message);
        show(row, "failed", text.failed + " " + data.error.message);
      } else {
        show(row, "failed", text.failed + " HTTP " + response.status);
      }
      return false;
    })();
    inFlight.set(row, job);
    try { return await job; } finally { inFlight.delete(row); }
  }

  form.addEventListener("change", (event) => {
    const row = rowOf(event.target);
    if (row && FIELDS.some((f) => event.target === input(row, f))) save(row);
  });

  form.addEventListener("keydown", (event) => {
    const row = rowOf(event.target);
    if (!row || !FIELDS.some((f) => event.target === input(row, f))) return;
    const submitKey = event.key === "Enter" && (event.ctrlKey || event.metaKey);
    const plainEnterInInput = event.key === "Enter" && event.target.tagName === "INPUT";
    if (!submitKey && !plainEnterInInput) return;
    event.preventDefault(); // not the whole form: just this photo
    save(row).then((ok) => {
      if (!ok || !submitKey) return;
      const next = row.nextElementSibling;
      if (next) input(next, "caption").focus();
    });
  });

  // Selection: "select all" and a count.
  const all = document.getElementById("select-all");
  const count = document.getElementById("selected-count");
  const boxes = () => Array.from(form.querySelectorAll("input[name=selected]"));
  function updateCount() {
    const n = boxes().filter((b) => b.checked).length;
    count.textContent = n ? text.selected.replace("{num}", String(n)) : "";
    if (all) {
      all.checked = n > 0 && n === boxes().length;
      all.indeterminate = n > 0 && n < boxes().length;
    }
  }
  if (all) {
    all.addEventListener("change", () => {
      for (const b of boxes()) b.checked = all.checked;
      updateCount();
    });
  }
  form.addEventListener("change", (event) => {
    if (event.target.name === "selected") updateCount();
  });
  updateCount();
}
