// The order form: add and remove device rows in the page, and save the draft as the user types.
// Without this script the same buttons post the form and the server does the same.
const form = document.querySelector(".order-form");

if (form) {
  const rows = form.querySelector(".device-rows");
  const template = document.getElementById("device-row-template");
  const status = document.querySelector(".autosave-status");
  let nextIndex = rows.querySelectorAll(".device-row").length;

  function renumberLegends() {
    rows.querySelectorAll(".device-row legend").forEach((legend, i) => {
      legend.textContent = legend.textContent.replace(/\d+|__number__/, String(i + 1));
    });
  }

  function addRow() {
    const html = template.innerHTML.replaceAll("__index__", String(nextIndex)).replaceAll("__number__", "0");
    nextIndex += 1;
    rows.insertAdjacentHTML("beforeend", html);
    renumberLegends();
    const added = rows.lastElementChild;
    added.querySelector("select, input:not([type=hidden]), textarea").focus();
    scheduleSave();
  }

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[name=action]");
    if (!button) return;
    if (button.value === "add_row") {
      event.preventDefault();
      addRow();
    } else if (button.value.startsWith("remove:")) {
      event.preventDefault();
      if (rows.querySelectorAll(".device-row").length > 1) {
        button.closest(".device-row").remove();
      } else {
        button.closest(".device-row").querySelectorAll("input:not([type=hidden]), textarea").forEach((el) => {
          if (el.type === "checkbox") el.checked = false; else el.value = "";
        });
      }
      renumberLegends();
      scheduleSave();
    }
  });

  // Autosave: a draft is saved on the server a second after the last keystroke.
  const url = form.dataset.autosaveUrl;
  let timer = null;
  function scheduleSave() {
    if (!url) return;
    clearTimeout(timer);
    timer = setTimeout(save, 1000);
  }
  async function save() {
    const data = new FormData(form);
    try {
      const response = await fetch(url, { method: "POST", body: data, headers: { "X-Requested-With": "fetch" } });
      if (!response.ok) throw new Error(String(response.status));
      const result = await response.json();
      if (status) status.textContent = `${status.dataset.savedLabel} ${result.saved_at}`;
    } catch (error) {
      if (status) status.textContent = status.dataset.failedLabel;
    }
  }
  // A model the company sent before suggests its category, when none is chosen yet.
  const suggestUrl = form.dataset.suggestUrl;
  form.addEventListener("change", async (event) => {
    if (!suggestUrl || !event.target.name || !event.target.name.endsWith("-model")) return;
    const row = event.target.closest(".device-row");
    const category = row.querySelector("select[name$='-category_id']");
    if (!category || category.value) return;
    const maker = row.querySelector("input[name$='-manufacturer']").value;
    const params = new URLSearchParams({ manufacturer: maker, model: event.target.value });
    const response = await fetch(`${suggestUrl}?${params}`);
    if (!response.ok) return;
    const result = await response.json();
    if (result.category_id && !category.value) {
      category.value = String(result.category_id);
      scheduleSave();
    }
  });
  form.addEventListener("input", scheduleSave);
  form.addEventListener("change", scheduleSave);
}
