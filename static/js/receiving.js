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
