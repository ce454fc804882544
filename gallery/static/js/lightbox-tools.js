// The lightbox's own tools on top of PhotoSwipe's zoom, arrows and close (album.js):
// download (the photo's download route, which applies the album's original-download
// policy), share (Web Share API, else the link is copied), slideshow and fullscreen;
// the dialog's accessible name.  Labels come from data-label-* on the grid.
import { share } from "./share.js";

const SLIDESHOW_MS = 4000;

const ICONS = {
  download: '<path d="M16 6v13m-6-6 6 6 6-6M8 25h16"/>',
  share: '<path d="M16 19V6m-5 5 5-5 5 5M9 15v10h14V15"/>',
  play: '<path d="M11 8v16l13-8z"/>',
  pause: '<path d="M11 8v16M21 8v16"/>',
  fullscreen: '<path d="M7 13V7h6m6 0h6v6m0 6v6h-6m-6 0H7v-6"/>',
};

function icon(name) {
  return (
    '<svg aria-hidden="true" class="pswp__icn pswp__icn-tool" viewBox="0 0 32 32" width="32" height="32" ' +
    'fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round">' +
    ICONS[name] +
    "</svg>"
  );
}

function photoId(pswp) {
  const link = pswp.currSlide?.data.element;
  const match = link && /^photo-(\d+)$/.exec(link.id || "");
  return match ? match[1] : null;
}

export function addLightboxTools(lightbox, root) {
  const labels = root.dataset;
  const prefix = labels.photoPrefix || "";
  const query = labels.photoQuery || "";
  const pageUrl = (id) => new URL(`${prefix}${id}${query}`, location.href).href;
  let timer = null;

  lightbox.on("afterInit", () => {
    const element = lightbox.pswp.element;
    if (labels.labelDialog) element.setAttribute("aria-label", labels.labelDialog);
  });

  lightbox.on("uiRegister", () => {
    const ui = lightbox.pswp.ui;

    if (labels.download === "on") {
      ui.registerElement({
        name: "gallery-download",
        order: 8,
        isButton: true,
        tagName: "a",
        title: labels.labelDownload,
        ariaLabel: labels.labelDownload,
        html: icon("download"),
        onInit: (el, pswp) => {
          el.setAttribute("download", "");
          el.setAttribute("target", "_blank");
          el.setAttribute("rel", "noopener");
          const update = () => {
            const id = photoId(pswp);
            if (id) el.href = `${prefix}${id}/download${query}`;
          };
          pswp.on("change", update);
          update();
        },
      });
    }

    ui.registerElement({
      name: "gallery-share",
      order: 8,
      isButton: true,
      title: labels.labelShare,
      ariaLabel: labels.labelShare,
      html: icon("share"),
      onClick: async (event, el, pswp) => {
        const id = photoId(pswp);
        if (!id) return;
        const outcome = await share(pageUrl(id), document.title);
        const status = pswp.element.querySelector(".pswp__gallery-status");
        if (status) status.textContent = outcome === "copied" ? labels.labelCopied : "";
      },
    });

    const stop = (pswp, button) => {
      if (timer === null) return;
      clearInterval(timer);
      timer = null;
      button.innerHTML = icon("play");
      button.title = labels.labelSlideshow;
      button.setAttribute("aria-label", labels.labelSlideshow);
      button.setAttribute("aria-pressed", "false");
    };
    ui.registerElement({
      name: "gallery-slideshow",
      order: 8,
      isButton: true,
      title: labels.labelSlideshow,
      ariaLabel: labels.labelSlideshow,
      html: icon("play"),
      onInit: (el, pswp) => {
        el.setAttribute("aria-pressed", "false");
        pswp.on("close", () => stop(pswp, el));
        // A visitor who moves by hand takes over from the slideshow.
        pswp.on("pointerDown", (event) => {
          if (!event.originalEvent?.target?.closest?.(".pswp__top-bar")) stop(pswp, el);
        });
      },
      onClick: (event, el, pswp) => {
        if (timer !== null) {
          stop(pswp, el);
          return;
        }
        timer = setInterval(() => pswp.next(), SLIDESHOW_MS);
        el.innerHTML = icon("pause");
        el.title = labels.labelPause;
        el.setAttribute("aria-label", labels.labelPause);
        el.setAttribute("aria-pressed", "true");
      },
    });

    if (document.fullscreenEnabled) {
      ui.registerElement({
        name: "gallery-fullscreen",
        order: 8,
        isButton: true,
        title: labels.labelFullscreen,
        ariaLabel: labels.labelFullscreen,
        html: icon("fullscreen"),
        onInit: (el, pswp) => {
          pswp.on("close", () => {
            if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
          });
        },
        onClick: () => {
          if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
          else lightbox.pswp.element.requestFullscreen().catch(() => {});
        },
      });
    }

    ui.registerElement({
      name: "gallery-status",
      order: 10,
      isButton: false,
      appendTo: "root",
      onInit: (el) => {
        el.setAttribute("role", "status");
      },
    });
  });
}

// Inside an embed (an iframe sized to its content by embed.js on the host page), the
// iframe may be far taller than the part the reader sees: PhotoSwipe would centre the
// photo in the whole frame, half below the fold.  IntersectionObserver tells which part
// of the frame is on the reader's screen (it measures against the top-level viewport,
// across origins); the lightbox is fitted to that part and follows it.
export function fitLightboxToVisiblePart(lightbox) {
  if (window.parent === window || !("IntersectionObserver" in window)) return;
  let visible = null; // {top, height} in the frame's coordinates
  const thresholds = Array.from({ length: 101 }, (_, i) => i / 100);
  new IntersectionObserver(
    (entries) => {
      const entry = entries[entries.length - 1];
      const rect = entry.intersectionRect;
      const bounds = entry.boundingClientRect;
      visible = rect.height > 0 ? { top: rect.top - bounds.top, height: rect.height } : null;
      apply();
    },
    { threshold: thresholds },
  ).observe(document.documentElement);

  function apply() {
    const pswp = lightbox.pswp;
    if (!pswp || !pswp.element) return;
    const box = visible || { top: window.scrollY, height: Math.min(window.innerHeight, 800) };
    pswp.element.style.top = `${Math.round(box.top - window.scrollY)}px`;
    pswp.element.style.height = `${Math.round(box.height)}px`;
    pswp.element.style.bottom = "auto";
    if (pswp.viewportSize.y !== Math.round(box.height)) pswp.updateSize(true);
  }

  lightbox.options.getViewportSizeFn = () => {
    const box = visible || { height: Math.min(window.innerHeight, 800) };
    return { x: document.documentElement.clientWidth, y: Math.round(box.height) };
  };
  // The zoom from the thumbnail would be measured against the whole frame.
  lightbox.options.showHideAnimationType = "fade";
  lightbox.on("afterInit", apply);
}
