// The import preview: a fix or a drop is sent in the background and only the rows it changed
// are replaced, so the user keeps their place in a long list. Without this script the same
// forms post and the page comes back at the row.
const table = document.querySelector(".import-rows");
const summary = () => document.querySelector(".import-summary");
const confirm = document.querySelector(".confirm-import");

if (table) {
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.action.includes("/rows/")) return;
    event.preventDefault();
    const data = new FormData(form);
    // FormData also takes the row's inputs that join the form through their form attribute.
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    try {
      const response = await fetch(form.action, {
        method: "POST", body: data, headers: { "X-Requested-With": "fetch" },
      });
      if (!response.ok || !response.headers.get("Content-Type").includes("json")) throw new Error("reload");
      const result = await response.json();
      for (const [number, html] of Object.entries(result.rows)) {
        const row = document.getElementById(`row-${number}`);
        if (row) row.outerHTML = html;
      }
      summary().outerHTML = result.summary;
      if (confirm) {
        confirm.textContent = result.confirm_label;
        if (result.can_confirm) confirm.removeAttribute("aria-disabled");
        else confirm.setAttribute("aria-disabled", "true");
      }
      const fixed = document.getElementById(`row-${form.action.match(/rows\/(\d+)/)[1]}`);
      if (fixed) fixed.querySelector("button, input").focus();
    } catch (error) {
      form.submit();
    }
  });
}
