// The photo booth: scanning a tag opens the device (scanner.js, as at receiving); the browser's
// camera takes each photo, which is uploaded at once and appears as a thumbnail. Without a camera
// (plain HTTP, none attached, permission refused) the page says why and the file input stays.
// Without JavaScript the forms post normally and the page comes back with a message.
import { scannerStation } from "./scanner.js";

const station = document.querySelector(".station");
const capture = station && station.querySelector(".booth-capture");

if (station) {
  const scanner = scannerStation(station, { storageKey: "booth-result" });
  const scanInput = station.querySelector(".scan-input");

  // A scanner types into whatever has focus; after a click on "Take photo" that is a button. The
  // first character of a code brings it back to the scan field, so a scan is never lost.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (event.key.length !== 1 || event.key === " " || event.ctrlKey || event.metaKey || event.altKey) return;
    if (target === scanInput || target.closest("input, select, textarea")) return;
    event.preventDefault();
    scanInput.focus();
    scanInput.value += event.key;
  });

  if (capture) setUpCapture(scanner);
}

function setUpCapture(scanner) {
  const camera = capture.querySelector(".camera");
  const video = capture.querySelector(".camera-preview");
  const takeButton = capture.querySelector(".take-photo");
  const note = capture.querySelector(".camera-note");
  const fileInput = capture.querySelector("input[type=file]");
  const shotSelect = capture.querySelector("select[name=shot]");
  let busy = false;

  function say(text) {
    note.textContent = text;
    note.hidden = false;
  }

  async function startCamera() {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(note.dataset.insecure);
      return;
    }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1920 }, height: { ideal: 1080 } }, audio: false,
      });
      await video.play().catch(() => {});
      camera.hidden = false;
      capture.classList.add("has-camera");
    } catch (error) {
      say(note.dataset.unavailable.replace("{error}", error.name || String(error)));
    }
  }

  async function upload(data) {
    busy = true;
    station.dataset.busy = "1"; // the tethered-camera poll below waits for this upload's answer
    takeButton.disabled = true;
    try {
      const response = await fetch(capture.action, {
        method: "POST", body: data, headers: { "X-Requested-With": "fetch" },
      });
      const result = await response.json();
      scanner.show(result);
      if (result.photos) {
        station.dataset.photos = Number(station.dataset.photos) + result.photos.length;
        showProgress(result);
      }
    } catch (error) {
      // Not an answer of the booth (the network, an expired form, a file over the upload limit).
      scanner.show({ level: "error", message: capture.dataset.failed });
    } finally {
      delete station.dataset.busy;
      busy = false;
      takeButton.disabled = false;
    }
  }

  function showProgress(result) {
    station.querySelector(".photos-taken").textContent = result.taken;
    station.querySelector(".photo-progress").value = Math.min(result.taken, result.needed);
    station.querySelector(".booth-complete").hidden = !result.complete;
    const shotList = station.querySelector(".shot-list");
    for (const item of shotList.querySelectorAll("li")) {
      const done = result.shots_done.includes(item.dataset.shot);
      item.classList.toggle("shot-done", done);
      item.querySelector(".shot-state").textContent = done ? shotList.dataset.taken : shotList.dataset.todo;
    }
    for (const option of shotSelect.options) {
      if (option.value && result.shots_done.includes(option.value) && !option.textContent.endsWith("✓")) {
        option.textContent += " ✓";
      }
    }
    shotSelect.value = result.next_shot;
    const grid = station.querySelector(".booth-photos");
    for (const photo of result.photos) grid.append(thumbnail(photo, grid));
    station.querySelector(".booth-empty").hidden = grid.children.length > 0;
  }

  // The same markup as the page's thumbnails (macros/photos.html) with the Remove button.
  function thumbnail(photo, grid) {
    const item = document.createElement("li");
    item.className = "photo-item";
    const link = document.createElement("a");
    link.href = photo.url;
    link.className = "photo-link";
    const image = document.createElement("img");
    image.src = photo.thumbnail;
    image.alt = photo.alt;
    link.append(image);
    const caption = document.createElement("span");
    caption.className = "photo-caption";
    caption.textContent = photo.caption;
    const form = document.createElement("form");
    form.method = "post";
    form.action = photo.delete;
    form.className = "inline-form";
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    token.value = grid.dataset.csrf;
    const remove = document.createElement("button");
    remove.type = "submit";
    remove.className = "button button-small";
    remove.textContent = grid.dataset.remove;
    form.append(token, remove);
    item.append(link, caption, form);
    return item;
  }

  function takePhoto() {
    if (busy || !video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    canvas.toBlob((blob) => {
      const data = new FormData(capture);
      data.delete("photo");
      data.append("photo", blob, `camera-${Date.now()}.jpg`);
      upload(data);
    }, "image/jpeg", 0.92);
  }

  takeButton.addEventListener("click", takePhoto);

  capture.addEventListener("submit", (event) => {
    event.preventDefault();
    if (busy) return;
    if (!fileInput.files.length) {
      fileInput.focus();
      return;
    }
    const data = new FormData(capture);
    fileInput.value = "";
    upload(data);
  });

  startCamera();
}

// A tethered camera files photos to the station's device without this page (`flask booth watch`):
// the page asks every few seconds and shows them by reloading when it is not busy.
if (station && station.dataset.state) {
  setInterval(async () => {
    if (document.hidden || station.dataset.busy || document.activeElement?.value) return;
    try {
      const state = await (await fetch(station.dataset.state, { headers: { "X-Requested-With": "fetch" } })).json();
      const known = { device: station.dataset.device || null, photos: Number(station.dataset.photos) };
      if (String(state.device ?? "") !== String(known.device ?? "") || state.photos > known.photos) {
        window.location.reload();
      }
    } catch (error) {
      // the next poll tries again
    }
  }, 3000);
}
