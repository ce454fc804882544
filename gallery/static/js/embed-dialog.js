// The embed dialog of the album and photo pages (templates/embed/_share.html): width,
// height, theme and (albums) the photo it opens at; the HTML code follows the options
// (the same markup as gallery/embed/oembed.py's iframe_html), a preview shows the result
// and the copy button puts the code on the clipboard and says "Copied".
import { copyText } from "./share.js";

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function clamp(value, low, high, fallback) {
  const n = Math.round(Number(value));
  return Number.isFinite(n) ? Math.min(high, Math.max(low, n)) : fallback;
}

function setup(dialog) {
  const options = dialog.querySelector(".embed-options");
  const snippet = dialog.querySelector(".embed-snippet");
  const copy = dialog.querySelector(".embed-copy");
  const button = dialog.querySelector(".embed-copy-button");
  const status = dialog.querySelector(".embed-copy-status");
  const preview = dialog.querySelector(".embed-preview");
  const holder = dialog.querySelector(".embed-preview-frame");
  const field = (name) => options.querySelector(`[name="${name}"]`);
  options.hidden = false;
  copy.hidden = false;
  preview.hidden = false;
  let frame = null;

  function current() {
    const width = clamp(field("width").value, 200, 4000, 800);
    const height = clamp(field("height").value, 150, 4000, 600);
    const src = new URL(dialog.dataset.src, location.href);
    src.searchParams.set("theme", field("theme").value === "light" ? "light" : "dark");
    const start = field("start");
    if (start && /^\d+$/.test(start.value)) src.hash = `photo-${start.value}`;
    return { width, height, src: src.href };
  }

  function update() {
    const { width, height, src } = current();
    snippet.value =
      `<iframe src="${escapeHtml(src)}" width="${width}" height="${height}" title="${escapeHtml(dialog.dataset.title)}"` +
      ` loading="lazy" frameborder="0" allowfullscreen></iframe>` +
      `<script src="${escapeHtml(dialog.dataset.script)}" async></script>`;
    status.textContent = "";
    button.textContent = button.dataset.labelCopy || button.textContent;
    if (dialog.open) showPreview(width, height, src);
  }

  function showPreview(width, height, src) {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = holder.dataset.title;
      frame.setAttribute("loading", "lazy");
      holder.append(frame);
    }
    frame.width = String(width);
    frame.height = String(height);
    if (frame.src !== src) frame.src = src;
  }

  button.dataset.labelCopy = button.textContent;
  options.addEventListener("input", update);
  options.addEventListener("change", update);
  dialog.addEventListener("toggle", () => dialog.open && update());
  button.addEventListener("click", async () => {
    if (await copyText(snippet.value)) {
      button.textContent = button.dataset.labelCopied;
      status.textContent = button.dataset.labelCopied;
    } else {
      snippet.select();
      status.textContent = button.dataset.labelFailed;
    }
  });
  update();
}

for (const dialog of document.querySelectorAll("details.embed-code[data-src]")) setup(dialog);
