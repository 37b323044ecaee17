// Progressive enhancement only: every page works without this file.

// On a narrow screen the header's links fold behind a "Menu" button (without this file
// they simply stay open). Escape closes the menu and gives the focus back to its button.
const header = document.querySelector(".site-header");
const toggle = header?.querySelector(".menu-toggle");
if (header && toggle) {
  const setOpen = (open) => {
    toggle.setAttribute("aria-expanded", String(open));
    header.classList.toggle("menu-open", open);
  };
  header.classList.add("js-menu");
  toggle.addEventListener("click", () => setOpen(toggle.getAttribute("aria-expanded") !== "true"));
  header.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && header.classList.contains("menu-open")) {
      setOpen(false);
      toggle.focus();
    }
  });
}

// An error summary takes the focus, so keyboard and screen reader users start from it.
const summary = document.querySelector(".error-summary");
if (summary) {
  summary.focus();
}
