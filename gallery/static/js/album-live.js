// An open album page picks up photos uploaded since it was rendered, without a reload: it polls
// the album's live feed (/albums/<album>/live.json?after=<newest photo id>) every data-poll
// seconds while the tab is visible, and puts new tiles, newest first, in the "Just added" strip
// above the grid.  Bounded: the strip keeps at most MAX_TILES tiles, polling backs off on errors.
const MAX_TILES = 48;
const MAX_BACKOFF_MS = 120000;

const box = document.getElementById("live-new");
const status = document.getElementById("live-status");

if (box && box.dataset.feed) {
  const list = box.querySelector(".grid");
  const POLL_MS = (Number(box.dataset.poll) || 15) * 1000;
  let after = Number(box.dataset.after) || 0;
  let delay = POLL_MS;
  const template = document.createElement("template");

  const feedUrl = () => {
    const url = new URL(box.dataset.feed, location.href);
    url.searchParams.set("after", String(after));
    return url;
  };

  const add = (photos) => {
    // newest first in the answer: insert the oldest first so the newest ends up on top
    for (const photo of photos.slice().reverse()) {
      if (list.querySelector(`[data-live-id="${photo.id}"]`)) continue;
      template.innerHTML = photo.html; // built and escaped by the server (gallery/web/views_album.py)
      const tile = template.content.firstElementChild;
      if (!tile) continue;
      tile.dataset.liveId = String(photo.id);
      list.prepend(tile);
    }
    while (list.children.length > MAX_TILES) list.lastElementChild.remove();
    box.hidden = list.children.length === 0;
  };

  const poll = async () => {
    if (document.visibilityState === "hidden") {
      schedule(POLL_MS);
      return;
    }
    try {
      const response = await fetch(feedUrl(), { cache: "no-cache", credentials: "same-origin" });
      if (!response.ok) throw new Error(`live feed: ${response.status}`);
      const data = await response.json();
      if (Array.isArray(data.photos) && data.photos.length) {
        add(data.photos);
        if (status) status.textContent = status.dataset.label || "";
      }
      if (Number.isFinite(data.cursor)) after = Math.max(after, data.cursor);
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
  schedule(POLL_MS);
}
