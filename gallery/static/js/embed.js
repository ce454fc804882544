// For host pages that embed Gallery albums or photos:
//   <iframe src="https://gallery.example/embed/albums/..." ...></iframe>
//   <script src="https://gallery.example/static/js/embed.js" async></script>
// Listens for the {type: "gallery:resize", height} messages that the embed pages post
// (embed-frame.js) and sets the height of the iframe that sent it: the message must
// come from that iframe's window and from the origin of its src.
(function () {
  "use strict";
  if (window.__galleryEmbedResizer) return; // the script may be included once per embed
  window.__galleryEmbedResizer = true;
  var MAX_HEIGHT = 100000;

  function originOf(src) {
    try {
      return new URL(src, document.baseURI).origin;
    } catch (e) {
      return null;
    }
  }

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "gallery:resize") return;
    var height = Number(data.height);
    if (!Number.isFinite(height) || height <= 0 || height > MAX_HEIGHT) return;
    var frames = document.getElementsByTagName("iframe");
    for (var i = 0; i < frames.length; i++) {
      var frame = frames[i];
      if (frame.contentWindow !== event.source) continue;
      if (originOf(frame.src) !== event.origin) return;
      // The height attribute, not an inline style: strict CSPs on host pages allow it.
      frame.setAttribute("height", String(Math.ceil(height)));
      frame.dataset.galleryResized = "true";
      return;
    }
  });
})();
