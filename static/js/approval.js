// The approval page: ticking recommended lines chooses "the required repair and the ticked lines"
// and shows its total, which the server works out (Decimal, tax per rate): this script only asks.
// The bulk choice is applied in the page. Without this script the same buttons post the form and
// the server does the same.
const form = document.querySelector(".approval-form");

if (form) {
  const updateButton = form.querySelector(".update-totals");
  if (updateButton) updateButton.hidden = true;

  async function refreshTotal(section) {
    const output = section.querySelector(".chosen-total");
    const url = section.dataset.totalsUrl;
    if (!output || !url) return;
    const params = new URLSearchParams();
    section.querySelectorAll(".pick-line:checked").forEach((box) => params.append("line", box.value));
    try {
      const response = await fetch(`${url}?${params}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const totals = await response.json();
      output.textContent = totals.gross;
    } catch {
      // The server's figure stays as it was; saving recalculates anyway.
    }
  }

  form.addEventListener("change", (event) => {
    const box = event.target.closest(".pick-line");
    if (!box) return;
    const section = box.closest(".approval-device");
    const lines = section.querySelector('input[type=radio][value="lines"]');
    if (lines) lines.checked = true;
    refreshTotal(section);
  });

  const bulkButton = form.querySelector(".bulk-apply");
  if (bulkButton) {
    bulkButton.addEventListener("click", (event) => {
      event.preventDefault();
      const select = form.querySelector("select[name=bulk_choice]");
      if (!select.value) {
        select.focus();
        return;
      }
      form.querySelectorAll(`.approval-device input[type=radio][value="${select.value}"]`).forEach((radio) => {
        radio.checked = true;
      });
      const status = form.querySelector(".bulk-status");
      if (status) status.textContent = status.dataset.template.replace("{choice}", select.options[select.selectedIndex].text);
    });
  }
}
