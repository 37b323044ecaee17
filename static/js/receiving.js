// The receiving station: scanner handling is shared (scanner.js); this page counts what came in
// and marks each received device's row.
import { scannerStation } from "./scanner.js";

const station = document.querySelector(".station");
if (station) {
  scannerStation(station, {
    storageKey: "receiving-result",
    onResult(result) {
      const received = station.querySelector(".count-received");
      if (received && result.received !== undefined) received.textContent = result.received;
      if (result.device) {
        const row = document.getElementById(`tag-${result.device.tag}`);
        if (row) {
          row.classList.add("row-done");
          row.querySelector(".device-status").textContent = result.device.status;
        }
      }
    },
  });
}

// A device just added at receiving: its tag label opens once for the station's printer (the link
// stays, should the browser block the new tab).
const printLink = document.querySelector("[data-open-once]");
if (printLink && !sessionStorage.getItem(printLink.dataset.openOnce)) {
  sessionStorage.setItem(printLink.dataset.openOnce, "1");
  window.open(printLink.href, "_blank");
}
