// The upload page.  With the Uppy bundle (gallery/static/vendor/uppy, built by
// scripts/copy-vendor.mjs): Uppy's dashboard sends every file as a resumable tus upload to
// /api/v1/uploads/ (5 MB chunks, retried with back-off, paused while the browser is
// offline, resumed after a reload or a crash by Golden Retriever) -- or, when originals live in
// S3, straight to the bucket with @uppy/aws-s3 (./upload-direct.js) -- then a summary: added,
// already there, rejected with the server's reason, and a link to the caption grid.
// Without the bundle: the files go three at a time to the form's own endpoint.
// Without JavaScript the form posts all files at once.
import { directUploadsWork, useDirect } from "./upload-direct.js";

const form = document.getElementById("upload-form");
const input = document.getElementById("upload-files");
const zone = document.getElementById("dropzone");
const queue = document.getElementById("upload-queue");
const labels = document.getElementById("upload-labels").dataset;
const host = document.getElementById("uppy-upload");

const CHUNK = 5 * 1024 * 1024;
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000];

function summaryText(counts) {
  return labels.counts.replace("{a}", counts.added).replace("{e}", counts.exists).replace("{r}", counts.rejected);
}

async function reason(error, response) {
  // tus-js-client's DetailedError carries the server's answer: {"error": {"message": ...}}
  const original = error && error.originalResponse;
  const body = original && typeof original.getBody === "function" ? original.getBody() : response && response.body;
  try {
    const parsed = typeof body === "string" ? JSON.parse(body) : body;
    if (parsed && parsed.error && parsed.error.message) return parsed.error.message;
  } catch (e) {
    /* not JSON: the error's own message below */
  }
  return (error && error.message) || labels.failed;
}

function useTus(uppy, Tus, csrf, record) {
  uppy.use(Tus, {
    endpoint: host.dataset.endpoint,
    headers: { "X-CSRFToken": csrf },
    chunkSize: CHUNK,
    retryDelays: RETRY_DELAYS,
    removeFingerprintOnSuccess: true,
    limit: 3,
    allowedMetaFields: ["album", "name", "filename", "type"],
  });
  uppy.on("upload-success", async (file, response) => {
    // The finished upload's photo, and whether its bytes were new to the album.
    let outcome = "added";
    try {
      const answer = await fetch(response.uploadURL, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      outcome = answer.headers.get("Gallery-Upload-Result") || outcome;
    } catch (e) {
      /* the photo is there; only the kind of answer is unknown */
    }
    record(file, outcome === "exists" ? "exists" : "added");
  });
  uppy.on("upload-error", async (file, error, response) => {
    const status = error && error.originalResponse ? error.originalResponse.getStatus() : 0;
    if (status && status >= 500) return; // retried by tus-js-client, or by the retry button
    record(file, "rejected", await reason(error, response));
  });
}

async function startUppy() {
  const { Uppy, Dashboard, Tus, AwsS3, GoldenRetriever, pl_PL } = await import(host.dataset.bundle);
  const csrf = host.dataset.csrf;
  const counts = { added: 0, exists: 0, rejected: 0 };
  const summary = document.getElementById("upload-summary");
  const countsLine = document.getElementById("upload-counts");
  const rejectedList = document.getElementById("upload-rejected");

  function show() {
    summary.hidden = false;
    countsLine.textContent = summaryText(counts);
  }

  function record(file, outcome, message) {
    counts[outcome] += 1;
    if (outcome === "rejected") {
      const item = document.createElement("li");
      item.textContent = `${file.name}: ${message || labels.failed}`;
      rejectedList.append(item);
    }
    show();
  }

  const uppy = new Uppy({
    id: "gallery-upload-" + host.dataset.album,
    autoProceed: true,
    locale: host.dataset.locale === "pl" ? pl_PL : undefined,
    meta: { album: host.dataset.album },
    restrictions: { maxFileSize: Number(host.dataset.maxBytes) || null },
  });
  uppy.use(Dashboard, {
    inline: true,
    target: "#uppy-dashboard",
    width: "100%",
    height: 420,
    fileManagerSelectionType: "both",
    showProgressDetails: true,
    proudlyDisplayPoweredByUppy: false,
    hideRetryButton: false,
    hidePauseResumeButton: false,
    theme: "auto",
  });
  // Originals in S3 (and WebCrypto to hash with): the bytes go straight to the bucket.
  const direct = Boolean(host.dataset.directStart) && directUploadsWork();
  if (direct) {
    const urls = { start: host.dataset.directStart, sign: host.dataset.directSign, complete: host.dataset.directComplete };
    useDirect(uppy, AwsS3, { urls, csrf, labels, record });
  } else {
    useTus(uppy, Tus, csrf, record);
  }
  // Files are kept in IndexedDB until they are sent, so a reload or a crash resumes them
  // (Golden Retriever's default keeps only files up to 10 MB; photos are often larger).
  const maxBytes = Number(host.dataset.maxBytes) || 200 * 1024 * 1024;
  uppy.use(GoldenRetriever, {
    serviceWorker: false,
    indexedDB: { maxFileSize: maxBytes, maxTotalSize: 2 * 1024 * 1024 * 1024 },
  });
  // Restored files go on where they stopped, without asking (tus asks the server for its
  // offset with HEAD, @uppy/aws-s3 the bucket for its parts).  Files whose bytes could not be
  // kept show as ghosts: add them again.
  uppy.on("restored", () => {
    if (uppy.getFiles().some((file) => !file.progress.uploadComplete && !file.isGhost)) {
      uppy.emit("restore-confirmed");
    }
  });

  uppy.on("file-added", (file) => uppy.setFileMeta(file.id, { filename: file.name }));
  uppy.on("complete", show);

  form.hidden = true;
  queue.hidden = true;
  host.hidden = false;
  host.dataset.path = direct ? "direct" : "tus"; // for the browser tests and the curious
  window.galleryUppy = uppy;
  return uppy;
}

function startPlain() {
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

if (form && host && window.fetch && window.indexedDB) {
  startUppy().catch((error) => {
    console.warn("Uppy could not start; the plain upload form is used", error);
    form.hidden = false;
    host.hidden = true;
    startPlain();
  });
} else if (form && window.XMLHttpRequest && window.FormData) {
  startPlain();
}
