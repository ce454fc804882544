// Photo page: the left and right arrow keys follow the previous/next links; the share button.
import { setupShareButtons } from "./share.js";
import "./embed-dialog.js";

setupShareButtons();

// The image fits the window: the stylesheet caps its height at the window minus where it
// starts (--photo-top; without JavaScript an estimate of the header's height).
const large = document.querySelector(".photo-large");
if (large) {
  const place = () => {
    const top = large.closest("figure").getBoundingClientRect().top + window.scrollY;
    document.documentElement.style.setProperty("--photo-top", `${Math.ceil(top)}px`);
  };
  place();
  window.addEventListener("resize", place);
}
document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey || event.defaultPrevented) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest("input, textarea, select, [contenteditable]")) return;
  const id = event.key === "ArrowLeft" ? "previous-photo" : event.key === "ArrowRight" ? "next-photo" : null;
  const link = id && document.getElementById(id);
  if (link instanceof HTMLAnchorElement) {
    event.preventDefault();
    location.assign(link.href);
  }
});
