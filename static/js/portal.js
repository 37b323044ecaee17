// Progressive enhancement only: every page works without this file.
// The language switcher applies a choice at once instead of waiting for its button.
const switcher = document.querySelector(".language-switcher");
if (switcher) {
  const select = switcher.querySelector("select");
  select.addEventListener("change", () => switcher.requestSubmit());
}
