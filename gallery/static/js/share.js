// Sharing a photo: the Web Share API where the browser has it (phones), else the link is
// copied to the clipboard and the button's status says so.  Used by the photo page
// (buttons with data-share-url) and by the lightbox (album.js).
export async function share(url, title) {
  if (navigator.share) {
    try {
      await navigator.share({ url, title });
      return "shared";
    } catch (error) {
      if (error && error.name === "AbortError") return "cancelled";
      // Not allowed here (an iframe without the permission): copy instead.
    }
  }
  return (await copyText(url)) ? "copied" : "failed";
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (error) {
    return false;
  }
}

export function setupShareButtons(root = document) {
  for (const button of root.querySelectorAll("button.share-button[data-share-url]")) {
    const status = button.parentElement.querySelector(".share-status");
    button.hidden = false;
    button.addEventListener("click", async () => {
      const outcome = await share(button.dataset.shareUrl, button.dataset.shareTitle || document.title);
      if (!status) return;
      if (outcome === "copied") status.textContent = button.dataset.labelCopied;
      else if (outcome === "failed") status.textContent = button.dataset.labelFailed;
      else status.textContent = "";
    });
  }
}
