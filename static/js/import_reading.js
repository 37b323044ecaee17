// Reading a large file: start the read, and show the rows read until the preview is ready.
const section = document.querySelector(".reading");
if (section) {
  const form = section.querySelector(".read-form");
  const bar = section.querySelector(".read-progress");
  const status = section.querySelector(".read-status");
  const label = section.dataset.rowsLabel;
  form.hidden = true;
  let finished = false;

  async function poll() {
    if (finished) return;
    try {
      const response = await fetch(section.dataset.progressUrl, { headers: { Accept: "application/json" } });
      const state = await response.json();
      if (state.rows_total) {
        bar.max = state.rows_total;
        bar.value = state.rows_read;
        status.textContent = label.replace("{done}", state.rows_read).replace("{total}", state.rows_total);
      }
    } catch (error) {
      // the next poll tries again
    }
    setTimeout(poll, 400);
  }

  fetch(form.action, { method: "POST", body: new FormData(form), redirect: "follow" })
    .then((response) => { finished = true; window.location.assign(response.url); })
    .catch(() => { finished = true; form.hidden = false; });
  poll();
}
