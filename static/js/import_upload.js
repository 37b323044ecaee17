// Upload with a progress bar: the bytes sent, then a note while the server reads the rows.
const form = document.querySelector(".upload-form");
if (form && window.XMLHttpRequest) {
  const bar = form.querySelector(".upload-progress");
  const status = form.querySelector(".upload-status");
  form.addEventListener("submit", (event) => {
    const input = form.querySelector("input[type=file]");
    if (!input.files.length) return;
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    bar.hidden = false;
    request.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded / e.total) * 100);
      status.textContent = `${bar.value} %`;
    });
    request.upload.addEventListener("load", () => {
      bar.removeAttribute("value");
      status.textContent = form.dataset.readingLabel || "…";
    });
    request.addEventListener("load", () => {
      if (request.status === 200 && request.responseURL && request.responseURL !== window.location.href) {
        window.location.assign(request.responseURL);
      } else {
        form.submit(); // the server refused the file: send it the plain way to show its message
      }
    });
    const data = new FormData(form);
    data.append("deferred", "1"); // the next page reads the rows and shows how many
    request.send(data);
  });
}
