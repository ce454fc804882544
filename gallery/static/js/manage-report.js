// Report editor: the preview follows the text as you type. The server renders it with the
// same Markdown renderer and sanitiser as the public report page. Without JavaScript the
// "Preview" button re-renders the form with the preview.
const form = document.getElementById("report-form");
const labels = document.getElementById("report-labels");

if (form && labels && window.fetch && window.URLSearchParams) {
  const body = form.querySelector("textarea[name=body]");
  const preview = document.getElementById("report-preview");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const url = form.dataset.previewUrl;
  let timer = null;
  let sequence = 0;

  async function refresh() {
    const mine = ++sequence;
    const data = new URLSearchParams();
    data.append("body", body.value);
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "X-CSRFToken": csrf, Accept: "application/json" },
        body: data,
        credentials: "same-origin",
      });
    } catch (err) {
      return;
    }
    if (mine !== sequence) return; // a newer request is on its way
    let json = null;
    try { json = await response.json(); } catch (err) { json = null; }
    if (response.ok && json && typeof json.html === "string") {
      preview.innerHTML = json.html; // sanitised server-side (nh3), like the public page
    } else {
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = labels.dataset.failed + " " + (json && json.error ? json.error.message : "HTTP " + response.status);
      preview.replaceChildren(p);
    }
  }

  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  });
  refresh();
}
