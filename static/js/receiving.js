// The receiving station: the scan field keeps focus, each scan is sent without reloading the
// page (so a fast scanner never types into a page that is loading), and each result has its
// sound, so the person with a queue of parcels hears what happened without looking up.
const station = document.querySelector(".station");
if (station) {
  const form = station.querySelector(".scan-form");
  const input = station.querySelector(".scan-input");
  const message = station.querySelector(".scan-result");
  const keepFocus = () => { if (document.activeElement !== input) input.focus(); };
  window.addEventListener("click", (event) => { if (!event.target.closest("a, button, input")) keepFocus(); });
  keepFocus();

  const tones = { success: [[880, 0.12]], warning: [[660, 0.12], [440, 0.12]], error: [[220, 0.45]] };
  let audio = null;
  function sound(level) {
    if (!tones[level] || !window.AudioContext) return;
    audio = audio || new AudioContext();
    let at = audio.currentTime;
    for (const [frequency, seconds] of tones[level]) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.2;
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(at);
      oscillator.stop(at + seconds);
      at += seconds + 0.05;
    }
  }

  function show(result) {
    station.dataset.result = result.level;
    message.hidden = false;
    message.className = `scan-result scan-${result.level}`;
    message.textContent = result.message;
    const received = station.querySelector(".count-received");
    if (received) received.textContent = result.received;
    if (result.device) {
      const row = document.getElementById(`tag-${result.device.tag}`);
      if (row) {
        row.classList.add("row-done");
        row.querySelector(".device-status").textContent = result.device.status;
      }
    }
    sound(result.level);
  }

  sound(station.dataset.result);
  const queue = [];
  let busy = false;
  async function next() {
    if (busy || !queue.length) return;
    busy = true;
    const data = queue.shift();
    try {
      const response = await fetch(form.action || window.location.pathname, {
        method: "POST", body: data, headers: { "X-Requested-With": "fetch" },
      });
      const result = await response.json();
      if (result.reload) {
        sessionStorage.setItem("receiving-result", JSON.stringify(result));
        window.location.reload();
        return;
      }
      show(result);
    } catch (error) {
      form.submit();
    }
    busy = false;
    next();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    queue.push(new FormData(form)); // scans wait their turn, none is lost
    input.value = "";
    keepFocus();
    next();
  });

  const carried = sessionStorage.getItem("receiving-result");
  if (carried) {
    sessionStorage.removeItem("receiving-result");
    show(JSON.parse(carried));
  }
}
