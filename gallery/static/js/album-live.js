// An open album page picks up photos published since it was opened, without a reload: it polls
// the album's live feed (/albums/<album>/live.json: the newest photos, newest first) every
// data-poll seconds while the tab is visible.  The photos of the first answer are the ones the
// page already knew; any other photo of a later answer is new (also one uploaded earlier that
// became ready later) and goes, newest first, into the "Just added" strip above the grid.
// Bounded: the first answer's ids (the feed's limit) and at most MAX_TILES tiles are kept;
// polling backs off on errors, and an unchanged feed answers 304.
const MAX_TILES = 48;
const MAX_BACKOFF_MS = 120000;

const box = document.getElementById("live-new");
const status = document.getElementById("live-status");

if (box && box.dataset.feed) {
  const list = box.querySelector(".grid");
  const POLL_MS = (Number(box.dataset.poll) || 15) * 1000;
  const template = document.createElement("template");
  let known = null; // ids listed by the first answer: on the page already
  let delay = POLL_MS;

  const add = (photos) => {
    let added = 0;
    // newest first in the answer: insert the oldest first so that the newest ends up on top
    for (const photo of photos.slice().reverse()) {
      if (known.has(photo.id) || list.querySelector(`[data-live-id="${Number(photo.id)}"]`)) continue;
      template.innerHTML = photo.html; // built and escaped by the server (gallery/web/views_album.py)
      const tile = template.content.firstElementChild;
      if (!tile) continue;
      tile.dataset.liveId = String(photo.id);
      list.prepend(tile);
      added += 1;
    }
    while (list.children.length > MAX_TILES) list.lastElementChild.remove();
    box.hidden = list.children.length === 0;
    return added;
  };

  const poll = async () => {
    if (document.visibilityState === "hidden" && known !== null) {
      schedule(POLL_MS);
      return;
    }
    try {
      const response = await fetch(box.dataset.feed, { cache: "no-cache", credentials: "same-origin" });
      if (!response.ok) throw new Error(`live feed: ${response.status}`);
      const data = await response.json();
      const photos = Array.isArray(data.photos) ? data.photos : [];
      if (known === null) {
        known = new Set(photos.map((photo) => photo.id));
      } else if (add(photos) && status) {
        status.textContent = status.dataset.label || "";
      }
      delay = POLL_MS;
    } catch {
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
    schedule(delay);
  };

  function schedule(ms) {
    window.setTimeout(poll, ms);
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") delay = POLL_MS;
  });
  poll();
}
