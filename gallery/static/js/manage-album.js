// Album settings: say at once what "exact originals" means when it is chosen (the same text
// is always shown beside the option, and on the page once it is saved).
const form = document.getElementById("album-form");
const warning = document.getElementById("exact-warning");

if (form && warning) {
  const radios = Array.from(form.querySelectorAll("input[name=original_downloads]"));
  const saved = radios.find((r) => r.checked);
  function update() {
    const chosen = radios.find((r) => r.checked);
    warning.hidden = !(chosen && chosen.value === "exact" && (!saved || saved.value !== "exact"));
  }
  for (const r of radios) r.addEventListener("change", update);
  update();
}
const share = document.getElementById("share-url");
if (share) share.addEventListener("focus", () => share.select());
