// Drag-and-drop upload: three files at a time, a progress bar per file and a
// result per file. Without JavaScript the form posts all files at once.
const form = document.getElementById("upload-form");
const input = document.getElementById("upload-files");
const zone = document.getElementById("dropzone");
const queue = document.getElementById("upload-queue");
const labels = document.getElementById("upload-labels").dataset;

if (form && window.XMLHttpRequest && window.FormData) {
  const parallel = Number(form.dataset.parallel || 3);
  const endpoint = form.dataset.endpoint;
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const pending = [];
  let running = 0;

  zone.querySelector(".dropzone-hint").hidden = false;

  function row(file) {
    const li = document.createElement("li");
    li.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    const status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = labels.waiting;
    li.append(name, bar, status);
    queue.append(li);
    return { li, bar, status };
  }

  function finish(item, outcome, message) {
    item.li.classList.add("result-" + outcome);
    item.bar.value = 100;
    item.status.textContent = message;
    running -= 1;
    next();
  }

  function send(file, item) {
    running += 1;
    const data = new FormData();
    data.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", endpoint);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) item.bar.value = Math.round((event.loaded / event.total) * 95);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (body && body.results && body.results[0]) {
        const r = body.results[0];
        finish(item, r.outcome, r.outcome === "rejected" ? labels.rejected + ": " + r.message : r.message);
      } else if (body && body.error) {
        finish(item, "rejected", labels.rejected + ": " + body.error.message);
      } else {
        finish(item, "rejected", labels.failed + " (HTTP " + xhr.status + ")");
      }
    });
    xhr.addEventListener("error", () => finish(item, "rejected", labels.failed));
    xhr.send(data);
  }

  function next() {
    while (running < parallel && pending.length) {
      const [file, item] = pending.shift();
      send(file, item);
    }
  }

  function enqueue(files) {
    for (const file of files) pending.push([file, row(file)]);
    next();
  }

  form.addEventListener("submit", (event) => {
    if (!input.files.length) return;
    event.preventDefault();
    enqueue(Array.from(input.files));
    input.value = "";
  });
  input.addEventListener("change", () => {
    if (input.files.length) {
      enqueue(Array.from(input.files));
      input.value = "";
    }
  });
  for (const type of ["dragenter", "dragover"]) {
    zone.addEventListener(type, (event) => { event.preventDefault(); zone.classList.add("dragging"); });
  }
  for (const type of ["dragleave", "drop"]) {
    zone.addEventListener(type, () => zone.classList.remove("dragging"));
  }
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    enqueue(Array.from(event.dataTransfer.files));
  });
}
