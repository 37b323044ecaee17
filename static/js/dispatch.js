// The dispatch station and the courier pick-up page. Scanning is shared (scanner.js); here the
// dispatch page adds each packed device's row and the pick-up page drops a parcel that left.
// Text from the server is set with textContent only: it is never read as markup.
import { scannerStation } from "./scanner.js";

function addPackedRow(station, device) {
  if (!device || !device.in_parcel || document.getElementById(`tag-${device.tag}`)) return;
  const template = document.getElementById("packed-row");
  const body = station.querySelector(".parcel-devices tbody");
  if (!template || !body) return;
  const row = template.content.firstElementChild.cloneNode(true);
  row.id = `tag-${device.tag}`;
  for (const cell of row.querySelectorAll("[data-field]")) {
    const value = device[cell.dataset.field] ?? "";
    cell.textContent = cell.classList.contains("visually-hidden") ? ` ${value}` : value;
  }
  const photos = row.querySelector("[data-field=photos]");
  photos.classList.add(device.photos_complete ? "badge-ok" : "badge-warn");
  row.querySelector("form").action = device.remove;
  body.append(row);
}

const dispatchStation = document.querySelector(".dispatch-station");
if (dispatchStation) {
  scannerStation(dispatchStation, {
    storageKey: "dispatch-result",
    onResult(result) {
      const count = dispatchStation.querySelector(".count-packed");
      if (count && result.count !== undefined) count.textContent = result.count;
      if (result.level !== "error") addPackedRow(dispatchStation, result.device);
    },
  });

  // The carrier's name is asked only for "other carrier" (without this script it is always shown).
  const carrier = dispatchStation.querySelector("select[name=carrier]");
  const nameField = dispatchStation.querySelector(".carrier-name-field");
  if (carrier && nameField) {
    const toggle = () => { nameField.hidden = carrier.value !== "other" && !nameField.querySelector(".error"); };
    carrier.addEventListener("change", toggle);
    toggle();
  }
  // A carrier form sent back with an error: its field gets the focus, not the scanner's.
  const invalid = dispatchStation.querySelector(".carrier-form [aria-invalid=true]");
  if (invalid) invalid.focus();
}

const pickupStation = document.querySelector(".pickup-station");
if (pickupStation) {
  scannerStation(pickupStation, {
    storageKey: "pickup-result",
    onResult(result) {
      if (!result.picked_up || !result.parcel) return;
      const row = document.getElementById(`parcel-${result.parcel}`);
      if (row) row.remove();
      const left = pickupStation.querySelectorAll(".waiting-parcels tbody tr").length;
      const count = pickupStation.querySelector(".count-waiting");
      if (count) count.textContent = left;
      if (!left) {
        pickupStation.querySelector(".waiting-parcels")?.closest(".table-wrap")?.remove();
        pickupStation.querySelector(".empty-waiting").hidden = false;
      }
    },
  });
}
