// The hall screen's slideshow (/albums/<album>/live): the album's newest photos, newest first,
// each for data-interval seconds, with its caption; no controls.  It runs for days, so its state
// is bounded: the slide list is replaced (never appended to) by each poll of the live feed (at most
// the feed's limit), the DOM is two fixed <figure> elements that take turns, and one timer chain
// each for advancing and polling.  A photo that arrives is shown next.  A click asks for full screen.
const root = document.getElementById("live");
const waiting = document.getElementById("live-waiting");
const figures = [document.getElementById("slide-a"), document.getElementById("slide-b")];
const SLIDE_MS = (Number(root.dataset.interval) || 8) * 1000;
const POLL_MS = (Number(root.dataset.poll) || 10) * 1000;
const MAX_BACKOFF_MS = 120000;

let slides = []; // the feed's last answer: [{id, src, srcset, webp_srcset, caption, credit, alt}], newest first
let currentId = null; // the photo on screen
let front = 0; // index in figures of the visible one
let newestSeen = 0;
let showNewest = false;
let pollDelay = POLL_MS;

async function poll() {
  try {
    const response = await fetch(root.dataset.feed, { cache: "no-cache", credentials: "same-origin" });
    if (!response.ok) throw new Error(`live feed: ${response.status}`);
    const data = await response.json();
    if (Array.isArray(data.photos)) {
      slides = data.photos;
      const newest = slides.length ? slides[0].id : 0;
      if (newest > newestSeen && newestSeen !== 0) showNewest = true;
      newestSeen = Math.max(newestSeen, newest);
    }
    pollDelay = POLL_MS;
  } catch {
    pollDelay = Math.min(pollDelay * 2, MAX_BACKOFF_MS);
  }
  window.setTimeout(poll, pollDelay);
}

function nextSlide() {
  if (!slides.length) return null;
  if (showNewest) {
    showNewest = false;
    return slides[0];
  }
  const at = slides.findIndex((slide) => slide.id === currentId);
  return slides[(at + 1) % slides.length]; // not found (-1): the newest
}

async function show(slide) {
  const back = figures[1 - front];
  const img = back.querySelector("img");
  back.querySelector("source").srcset = slide.webp_srcset || "";
  img.srcset = slide.srcset || "";
  img.src = slide.src;
  img.alt = slide.alt || "";
  back.querySelector(".caption").textContent = slide.caption || "";
  back.querySelector(".credit").textContent = slide.credit || "";
  back.dataset.photoId = String(slide.id);
  await img.decode();
  back.classList.add("is-current");
  back.setAttribute("aria-hidden", "false");
  figures[front].classList.remove("is-current");
  figures[front].setAttribute("aria-hidden", "true");
  front = 1 - front;
  currentId = slide.id;
}

async function advance() {
  const slide = nextSlide();
  waiting.hidden = slides.length > 0;
  let wait = SLIDE_MS;
  if (!slide) {
    wait = 1000;
  } else if (slide.id !== currentId) {
    try {
      await show(slide);
    } catch {
      currentId = slide.id; // cannot be shown (gone, expired): go on with the next one
      wait = 1000;
    }
  }
  window.setTimeout(advance, wait);
}

root.addEventListener("click", () => {
  if (!document.fullscreenElement && root.requestFullscreen) root.requestFullscreen().catch(() => {});
});

poll().then(advance);
