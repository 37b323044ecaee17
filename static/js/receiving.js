// The receiving station: the scan field keeps focus, and each result has its sound, so the
// person with a queue of parcels hears what happened without looking up.
const station = document.querySelector(".station");
if (station) {
  const input = station.querySelector(".scan-input");
  const keepFocus = () => { if (document.activeElement !== input) input.focus(); };
  window.addEventListener("click", (event) => { if (!event.target.closest("a, button, input")) keepFocus(); });
  keepFocus();

  const tones = { success: [[880, 0.12]], warning: [[660, 0.12], [440, 0.12]], error: [[220, 0.45]] };
  const level = station.dataset.result;
  if (tones[level] && window.AudioContext) {
    const audio = new AudioContext();
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
}
