// What every scanner station page shares: a keyboard-wedge scanner types a code and Enter into
// the focused field. The field keeps focus, each scan is sent without reloading the page (so a
// fast scanner never types into a page that is loading), scans wait their turn so none is lost,
// and each answer has a colour, a large message and a sound, so the person with a queue of
// parcels hears what happened without looking up.
//
// The server answers a fetch with JSON: {level, message, reload, ...}; `onResult` updates the
// rest of the page. With `reload`, the page is loaded again and the answer shown after it.

const tones = { success: [[880, 0.12]], warning: [[660, 0.12], [440, 0.12]], error: [[220, 0.45]] };
let audio = null;

export function sound(level) {
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

export function scannerStation(station, { onResult = () => {}, storageKey = "station-result" } = {}) {
  const form = station.querySelector(".scan-form");
  const input = station.querySelector(".scan-input");
  const message = station.querySelector(".scan-result");
  const keepFocus = () => { if (document.activeElement !== input) input.focus(); };
  // Clicking the page's background gives the field its focus back; other fields keep theirs.
  window.addEventListener("click", (event) => {
    if (!event.target.closest("a, button, input, select, textarea, label, video")) keepFocus();
  });
  keepFocus();

  function show(result) {
    station.dataset.result = result.level;
    message.hidden = false;
    message.className = `scan-result scan-${result.level}`;
    message.textContent = result.message;
    onResult(result);
    sound(result.level);
  }

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
        sessionStorage.setItem(storageKey, JSON.stringify(result));
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
    queue.push(new FormData(form));
    input.value = "";
    keepFocus();
    next();
  });

  const carried = sessionStorage.getItem(storageKey);
  if (carried) {
    sessionStorage.removeItem(storageKey);
    show(JSON.parse(carried));
  } else {
    sound(station.dataset.result);
  }
  return { show, keepFocus };
}
