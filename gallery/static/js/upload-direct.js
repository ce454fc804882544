// The upload page's direct-to-S3 path (originals in S3): Uppy's @uppy/aws-s3 sends the bytes
// straight to the bucket, Gallery starts, signs and checks (docs/uploads.md, "The upload page").
//
// 1. Pre-processing, two files at a time: the browser hashes the file (WebCrypto SHA-256, the
//    whole file in memory once) and starts a direct upload (POST /api/v1/albums/<album>/direct-uploads).
//    Bytes already in the album: done at once ("already there"), nothing is sent.  Otherwise the
//    multipart upload Gallery created is handed to @uppy/aws-s3 as one to resume.
// 2. @uppy/aws-s3 asks Gallery to sign each request it makes on the bucket (list the parts, PUT
//    each part, complete), retries a failed request (3 times, back-off), waits while offline.
//    A file whose request still failed: after a back-off Gallery checks whether the bucket
//    assembled it anyway (a lost answer), else it is resumed from the parts the bucket holds.
// 3. Post-processing: POST complete_url without parts; Gallery reads the object for its size and
//    SHA-256 and adds the photo (201 added, 200 already there, 4xx rejected with the reason).
const RETRY_DELAYS = [1000, 3000, 5000, 10000, 20000, 30000];
const MB = 1024 * 1024;

class Refusal extends Error {
  // Gallery's answer refusing a file: final, shown with its reason (never retried by itself).
  constructor(message, status) {
    super(message);
    this.name = "Refusal";
    this.status = status;
  }
}

const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function online() {
  if (navigator.onLine !== false) return Promise.resolve();
  return new Promise((resolve) => window.addEventListener("online", () => resolve(), { once: true }));
}

async function post(url, csrf, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
    body: JSON.stringify(body),
  });
  let answer = null;
  try {
    answer = await response.json();
  } catch (e) {
    answer = null;
  }
  return { status: response.status, answer };
}

// Gallery's answer, again after a network error, a 5xx or another request still completing the
// same upload (with back-off, once online); any other answer as it is.
async function persist(call) {
  for (let attempt = 0; ; attempt += 1) {
    await online();
    try {
      const result = await call();
      const again = result.status >= 500 || (result.answer && result.answer.error && result.answer.error.code === "completing");
      if (!again || attempt >= RETRY_DELAYS.length) return result;
    } catch (error) {
      if (attempt >= RETRY_DELAYS.length) throw error;
    }
    await wait(RETRY_DELAYS[attempt]);
  }
}

function refusal(result, fallback) {
  const error = result.answer && result.answer.error;
  return new Refusal((error && error.message) || `${fallback} (HTTP ${result.status})`, result.status);
}

async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function each(items, parallel, work) {
  const queue = items.slice();
  const workers = Array.from({ length: Math.min(parallel, queue.length) }, async () => {
    while (queue.length) await work(queue.shift());
  });
  await Promise.all(workers);
}

export function directUploadsWork() {
  return Boolean(window.crypto && window.crypto.subtle && window.fetch);
}

// urls: {start, sign, complete} (sign and complete with "__key__" for the upload's id);
// record(file, outcome, message): the page's summary (added | exists | rejected).
export function useDirect(uppy, AwsS3, { urls, csrf, labels, record }) {
  const at = (template, key) => template.replace("__key__", encodeURIComponent(key));
  const retries = new Map();

  uppy.addPreProcessor(async (fileIDs) => {
    const fresh = fileIDs
      .map((id) => uppy.getFile(id))
      .filter((file) => file && !file.meta.galleryUpload && !file.progress.uploadComplete && !file.error);
    await each(fresh, 2, async (file) => {
      uppy.emit("preprocess-progress", file, { mode: "indeterminate", message: labels.preparing });
      try {
        const digest = await sha256(file.data);
        const body = { filename: file.name, size: file.size, sha256: digest };
        const result = await persist(() => post(urls.start, csrf, body));
        if (result.status === 201) {
          const started = result.answer;
          uppy.setFileMeta(file.id, { galleryUpload: started.id, galleryPartSize: started.part_size });
          uppy.setFileState(file.id, { s3Multipart: { uploadId: started.upload_id, key: started.id } });
        } else if (result.status === 200) {
          uppy.setFileMeta(file.id, { galleryOutcome: "exists" });
          uppy.emit("upload-success", uppy.getFile(file.id), {
            status: 200,
            body: result.answer,
            uploadURL: `/api/v1/photos/${result.answer.id}`,
          });
          record(file, "exists");
        } else {
          throw refusal(result, labels.failed);
        }
      } catch (error) {
        uppy.emit("upload-error", uppy.getFile(file.id), error instanceof Refusal ? error : new Refusal(error.message, 0));
      } finally {
        if (uppy.getFile(file.id)) uppy.emit("preprocess-complete", uppy.getFile(file.id));
      }
    });
  });

  uppy.use(AwsS3, {
    shouldUseMultipart: true,
    limit: 3,
    allowedMetaFields: false,
    // Gallery's part size for this size of file (files of one size share it): part numbers
    // past the upload's parts are not signed.
    getChunkSize: ({ size }) => {
      const same = uppy.getFiles().find((file) => file.size === size && file.meta.galleryPartSize);
      return same ? same.meta.galleryPartSize : 8 * MB;
    },
    generateObjectKey: (file) => file.meta.galleryUpload || file.id,
    signRequest: async (request) => {
      if (!request.uploadId) {
        throw new Refusal(labels.failed, 0); // creating uploads is Gallery's (pre-processing)
      }
      const body = { method: request.method, upload_id: request.uploadId, part_number: request.partNumber };
      const result = await persist(() => post(at(urls.sign, request.key), csrf, body));
      if (result.status !== 200) throw refusal(result, labels.failed);
      return { url: result.answer.url };
    },
  });

  uppy.addPostProcessor(async (fileIDs) => {
    const sent = fileIDs
      .map((id) => uppy.getFile(id))
      .filter((file) => file && file.progress.uploadComplete && file.meta.galleryUpload && !file.meta.galleryOutcome && !file.error);
    await each(sent, 3, async (file) => {
      uppy.emit("postprocess-progress", file, { mode: "indeterminate", message: labels.checking });
      try {
        const result = await persist(() => post(at(urls.complete, file.meta.galleryUpload), csrf, {}));
        if (result.status !== 200 && result.status !== 201) throw refusal(result, labels.failed);
        const outcome = result.status === 201 ? "added" : "exists";
        uppy.setFileMeta(file.id, { galleryOutcome: outcome });
        record(file, outcome);
      } catch (error) {
        uppy.setFileMeta(file.id, { galleryUpload: null }); // a retry starts a new upload
        uppy.emit("upload-error", uppy.getFile(file.id), error instanceof Refusal ? error : new Refusal(error.message, 0));
      } finally {
        if (uppy.getFile(file.id)) uppy.emit("postprocess-complete", uppy.getFile(file.id));
      }
    });
  });

  // After a failure past @uppy/aws-s3's own retries, Gallery is asked first: the bucket may have
  // assembled the object and only its answer was lost.  Not assembled: the file is resumed from
  // the parts the bucket holds (@uppy/aws-s3 waits while the browser is offline).
  async function finishOrResume(file) {
    const result = await persist(() => post(at(urls.complete, file.meta.galleryUpload), csrf, {}));
    const code = result.answer && result.answer.error && result.answer.error.code;
    if (result.status === 409 && code === "not_assembled") {
      uppy.retryUpload(file.id);
      return;
    }
    if (result.status !== 200 && result.status !== 201) {
      record(file, "rejected", refusal(result, labels.failed).message);
      return;
    }
    const outcome = result.status === 201 ? "added" : "exists";
    uppy.setFileMeta(file.id, { galleryOutcome: outcome });
    uppy.setFileState(file.id, { error: null });
    uppy.emit("upload-success", uppy.getFile(file.id), {
      status: result.status,
      body: result.answer,
      uploadURL: `/api/v1/photos/${result.answer.id}`,
    });
    record(file, outcome);
  }

  uppy.on("upload-success", (file) => file && retries.delete(file.id));
  uppy.on("upload-error", (file, error) => {
    if (!file) return;
    const tries = retries.get(file.id) || 0;
    const current = uppy.getFile(file.id);
    if (!(error instanceof Refusal) && current && current.meta.galleryUpload && tries < RETRY_DELAYS.length) {
      retries.set(file.id, tries + 1);
      setTimeout(() => {
        const now = uppy.getFile(file.id);
        if (now) finishOrResume(now).catch((failure) => record(file, "rejected", failure.message));
      }, RETRY_DELAYS[tries]);
      return;
    }
    record(file, "rejected", error && error.message);
  });
}
