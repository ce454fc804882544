// Album page, on top of the server-rendered grid (which works without JavaScript):
// * justified rows computed by justified-layout, applied through the CSSOM;
// * a PhotoSwipe 5 lightbox over the photos of this page, read lazily from the DOM
//   (each tile is <a class="tile-link" data-pswp-src data-pswp-width data-pswp-height>),
//   with download, share, slideshow and fullscreen (lightbox-tools.js), fitted to the
//   visible part of the frame inside an embed;
// * #photo-<id> in the URL opens that photo, and the hash follows the lightbox;
// * arrow keys, Home and End move between the photos of the grid;
// * the next pages of a big album load by themselves near the end of the page.
import justifiedLayout from "../vendor/justified-layout/justified-layout.esm.js";
import PhotoSwipeLightbox from "../vendor/photoswipe/photoswipe-lightbox.esm.js";
import { addLightboxTools, fitLightboxToVisiblePart } from "./lightbox-tools.js";
import "./embed-dialog.js";

const HASH_RE = /^#photo-(\d+)$/;
const TILE_SELECTOR = "a.tile-link[data-pswp-src]";

function cssPixels(name, fallback) {
  const value = parseFloat(getComputedStyle(document.documentElement).getPropertyValue(name));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

function aspectRatio(tile) {
  const img = tile.querySelector("img");
  const width = img ? Number(img.getAttribute("width")) : 0;
  const height = img ? Number(img.getAttribute("height")) : 0;
  return width > 0 && height > 0 ? width / height : 1.5;
}

function justify(root) {
  let lastWidth = 0;

  function layout(force) {
    const width = Math.floor(root.clientWidth);
    if (!width || (width === lastWidth && !force)) return;
    lastWidth = width;
    const rowHeight = cssPixels("--row", 220);
    const spacing = cssPixels("--gap", 6);
    root.classList.add("is-justified");
    for (const list of root.querySelectorAll(".grid")) {
      const tiles = Array.from(list.children);
      if (!tiles.length) continue;
      const geometry = justifiedLayout(tiles.map(aspectRatio), {
        containerWidth: width,
        containerPadding: 0,
        boxSpacing: spacing,
        targetRowHeight: rowHeight,
        targetRowHeightTolerance: 0.25,
        showWidows: true,
      });
      geometry.boxes.forEach((box, i) => {
        const tile = tiles[i];
        // Floor the widths so that a row never overflows into the next line.
        const tileWidth = Math.max(1, Math.floor(box.width));
        tile.style.width = `${tileWidth}px`;
        const link = tile.querySelector(".tile-link");
        if (link) link.style.height = `${Math.round(box.height)}px`;
        for (const el of tile.querySelectorAll("img, source")) el.sizes = `${tileWidth}px`;
      });
    }
  }

  let pending = false;
  const schedule = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      layout(false);
    });
  };
  layout(false);
  if ("ResizeObserver" in window) new ResizeObserver(schedule).observe(root);
  else window.addEventListener("resize", schedule);
  return () => layout(true);
}

// Further pages of a big album arrive by themselves as the visitor scrolls near the
// end: the page behind the "More photos" link (rel=next) is fetched, its tiles are
// appended (a day that continues goes on in the same group) and the link moves on.
// Without JavaScript the link simply opens that page.
function loadMoreOnScroll(root, relayout) {
  const pager = document.querySelector(".pager");
  if (!pager || !("IntersectionObserver" in window)) return;
  let loading = false;

  async function loadNext() {
    const next = pager.querySelector('a[rel="next"]');
    if (!next || loading) return;
    loading = true;
    try {
      const response = await fetch(next.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const incoming = doc.getElementById("album-grid");
      if (!incoming) return;
      let days = root.querySelectorAll("section.day");
      for (const section of incoming.querySelectorAll("section.day")) {
        // A section goes on where the same one is on screen: a day (the last section), a session
        // (grouped by session: parallel sessions continue side by side), a gap between sessions.
        const key = section.dataset.group;
        const same = key ? Array.from(days).find((shown) => shown.dataset.group === key) : null;
        const last = same || days[days.length - 1];
        const day = section.querySelector(".day-heading")?.textContent.trim();
        if (last && (same || (!key && last.querySelector(".day-heading")?.textContent.trim() === day))) {
          last.querySelector(".grid").append(...section.querySelector(".grid").children);
        } else {
          const number = days.length + 1;
          section.setAttribute("aria-labelledby", `day-${number}`);
          section.querySelector(".day-heading")?.setAttribute("id", `day-${number}`);
          root.append(document.adoptNode(section));
        }
        days = root.querySelectorAll("section.day");
      }
      const range = document.getElementById("page-range");
      if (range) range.hidden = true;
      const following = doc.querySelector('.pager a[rel="next"]');
      if (following) next.href = following.href;
      else next.remove();
      relayout();
    } catch (error) {
      // The link stays; the visitor can still follow it.
    } finally {
      loading = false;
    }
    // Still near the end (a tall screen, a short page)? Keep going.
    const box = pager.getBoundingClientRect();
    if (box.top < window.innerHeight + 800) loadNext();
  }

  new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadNext();
  }, { rootMargin: "0px 0px 800px 0px" }).observe(pager);
}

function fillCaption(el, tileLink) {
  el.replaceChildren();
  const figcaption = tileLink && tileLink.closest("figure")?.querySelector(".tile-caption");
  if (!figcaption) return;
  for (const part of figcaption.querySelectorAll(".caption, .credit")) {
    const span = document.createElement("span");
    span.className = part.classList.contains("credit") ? "credit" : "caption";
    span.textContent = part.textContent;
    el.appendChild(span);
  }
}

function setupLightbox(root) {
  const labels = root.dataset;
  const lightbox = new PhotoSwipeLightbox({
    gallery: root,
    children: TILE_SELECTOR,
    pswpModule: () => import("../vendor/photoswipe/photoswipe.esm.js"),
    bgOpacity: 1, // opaque: nothing of the page shows through
    preload: [1, 2],
    showHideAnimationType: "zoom",
    returnFocus: false,
    closeTitle: labels.labelClose,
    zoomTitle: labels.labelZoom,
    arrowPrevTitle: labels.labelPrevious,
    arrowNextTitle: labels.labelNext,
    errorMsg: labels.labelError,
    indexIndicatorSep: labels.labelOf ? ` ${labels.labelOf} ` : " / ",
  });

  addLightboxTools(lightbox, root);
  fitLightboxToVisiblePart(lightbox);

  // The slide's srcset is the tile's WebP <source> (not repeated in data-pswp-srcset,
  // which would make every tile's HTML longer); PhotoSwipe sets `sizes` itself.
  lightbox.addFilter("domItemData", (itemData, element) => {
    const source = element.querySelector("source[type='image/webp']");
    if (source && source.srcset) itemData.srcset = source.srcset;
    return itemData;
  });

  // History: opening from the page pushes an entry (so "Back" closes the lightbox);
  // moving between photos replaces it; the hash always names the photo on screen.
  let pushed = false;
  let closingFromHistory = false;

  lightbox.on("uiRegister", () => {
    lightbox.pswp.ui.registerElement({
      name: "gallery-caption",
      order: 9,
      isButton: false,
      appendTo: "root",
      onInit: (el, pswp) => {
        el.setAttribute("aria-live", "polite");
        pswp.on("change", () => fillCaption(el, pswp.currSlide?.data.element));
      },
    });
    // "Request removal or blurring": the takedown form of the photo on screen.
    if (labels.labelTakedown) {
      lightbox.pswp.ui.registerElement({
        name: "takedown-link",
        order: 8,
        isButton: false,
        tagName: "a",
        appendTo: "bar",
        onInit: (el, pswp) => {
          el.className = "pswp__takedown";
          el.textContent = labels.labelTakedown;
          const follow = () => {
            const link = pswp.currSlide?.data.element;
            if (!link || !link.href) return;
            const url = new URL(link.href, location.href);
            url.pathname = `${url.pathname.replace(/\/$/, "")}/takedown`;
            url.hash = "";
            el.href = url.toString();
          };
          pswp.on("change", follow);
          follow();
        },
      });
    }
  });
  lightbox.on("change", () => {
    const link = lightbox.pswp?.currSlide?.data.element;
    if (!link || !link.id) return;
    const hash = `#${link.id}`;
    if (location.hash === hash) return;
    if (!pushed && !HASH_RE.test(location.hash)) {
      history.pushState({ lightbox: true }, "", hash);
      pushed = true;
    } else {
      history.replaceState(history.state, "", hash);
    }
  });
  let lastShown = null;
  lightbox.on("close", () => {
    lastShown = lightbox.pswp?.currSlide?.data.element || null;
    if (closingFromHistory) {
      closingFromHistory = false;
    } else if (pushed) {
      pushed = false;
      history.back();
    } else {
      history.replaceState(history.state, "", location.pathname + location.search);
    }
    pushed = false;
  });
  // Back in the grid, the keyboard focus is on the photo that was on screen.
  lightbox.on("destroy", () => {
    if (lastShown) lastShown.focus();
    lastShown = null;
  });
  window.addEventListener("popstate", () => {
    if (lightbox.pswp && pushed && !HASH_RE.test(location.hash)) {
      pushed = false;
      closingFromHistory = true;
      lightbox.pswp.close();
    }
  });

  function openFromHash() {
    const match = HASH_RE.exec(location.hash);
    if (!match || lightbox.pswp) return;
    const links = Array.from(root.querySelectorAll(TILE_SELECTOR));
    const index = links.findIndex((a) => a.id === `photo-${match[1]}`);
    if (index >= 0) {
      lightbox.loadAndOpen(index);
    } else if (root.dataset.photoPrefix) {
      // Not on this page of the album: show the photo's own page.
      location.replace(`${root.dataset.photoPrefix}${match[1]}${root.dataset.photoQuery || ""}`);
    }
  }

  lightbox.init();
  window.addEventListener("hashchange", openFromHash);
  openFromHash();
}

function setupKeyboard(root) {
  root.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const current = event.target.closest?.(".tile-link");
    if (!current) return;
    const links = Array.from(root.querySelectorAll(".tile-link"));
    const index = links.indexOf(current);
    let next = -1;
    if (event.key === "ArrowRight") next = index + 1;
    else if (event.key === "ArrowLeft") next = index - 1;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = links.length - 1;
    else return;
    if (next >= 0 && next < links.length) {
      event.preventDefault();
      links[next].focus();
    }
  });
}

const grid = document.getElementById("album-grid");
if (grid) {
  const relayout = justify(grid);
  setupLightbox(grid);
  setupKeyboard(grid);
  loadMoreOnScroll(grid, relayout);
}
