// The theme toggle of the site header.  Its links work without JavaScript (a round trip
// to /theme/<choice>, which sets the cookie and comes back); here a light or dark choice
// is applied at once and the cookie set in the background.  "Automatic" keeps the round
// trip: the page's own default (dark for photos) comes from the server.
const links = document.querySelectorAll(".themes a[data-theme-choice]");
for (const link of links) {
  const choice = link.dataset.themeChoice;
  if (choice !== "light" && choice !== "dark") continue;
  link.addEventListener("click", (event) => {
    event.preventDefault();
    document.documentElement.dataset.theme = choice;
    for (const other of links) other.removeAttribute("aria-current");
    link.setAttribute("aria-current", "true");
    // The answer is a redirect whose Set-Cookie is what counts; it is not followed.
    fetch(link.href, { credentials: "same-origin", redirect: "manual" }).catch(() => {});
  });
}
