// Inside an embed iframe (/embed/...): tell the host page how tall the content is, so
// that embed.js there can size the iframe.  Posts {type: "gallery:resize", height} to
// the parent on load and whenever the content's size changes.  The message carries no
// private data, so any parent may read it ("*"); embed.js checks where it came from.
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = -1;
  function contentHeight() {
    var body = document.body;
    var root = document.documentElement;
    return Math.ceil(Math.max(body ? body.scrollHeight : 0, body ? body.offsetHeight : 0, root.offsetHeight));
  }
  function post() {
    var height = contentHeight();
    if (height === last || height <= 0) return;
    last = height;
    window.parent.postMessage({ type: "gallery:resize", height: height }, "*");
  }
  function start() {
    post();
    if ("ResizeObserver" in window) {
      new ResizeObserver(post).observe(document.body);
    } else {
      window.addEventListener("resize", post);
    }
    window.addEventListener("load", post);
    // Images that load later change the height too.
    document.addEventListener("load", post, true);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
