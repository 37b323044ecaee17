// The bench and the quality check. On the queue pages the scanner's field is shared
// (scanner.js): a scanned tag's answer carries the page to open. On a device page, a form sent
// back with an error puts the focus on its first wrong field, and a "fail" on the checklist
// asks for its note.
import { scannerStation } from "./scanner.js";

for (const queuePage of document.querySelectorAll(".bench-station:not(.bench-device), .qc-station:not(.qc-device)")) {
  scannerStation(queuePage, {
    storageKey: "bench-result",
    onResult(result) {
      if (result.open) window.location.assign(result.open);
    },
  });
}

const invalid = document.querySelector(".bench-device [aria-invalid=true], .qc-device .field-error input");
if (invalid) invalid.focus();

for (const row of document.querySelectorAll(".check-row")) {
  const note = row.querySelector(".check-note");
  const sync = () => { note.required = row.querySelector("input[type=radio][value=fail]")?.checked ?? false; };
  row.addEventListener("change", sync);
  sync();
}
