// tessera viewer: the reaction buttons. Each tap is POST /api/v1/reactions {"kind": ...}; the
// canvas shows it a moment later (the stream's latency). Beyond the per-address rate the server
// answers 429 with Retry-After: the buttons rest for that long and a gentle note says so.
//
// A plain script, no framework, separate from viewer.js; it runs on the page's main thread.
(() => {
  'use strict';

  const kReactionsUrl = '/api/v1/reactions';
  const kSentMs = 180; // the button's little "sent" pop
  const kNoteMs = 4000; // how long a note other than the rest stays

  const nav = document.getElementById('reactions');
  const note = document.getElementById('reactions-note');
  if (!nav || !note || !window.fetch) return;
  const buttons = Array.from(nav.querySelectorAll('button[data-kind]'));

  let restUntilMs = 0;
  let restTimer = 0;
  let noteTimer = 0;

  function say(text, forMs) {
    clearTimeout(noteTimer);
    note.textContent = text;
    note.hidden = !text;
    if (text && forMs) noteTimer = setTimeout(() => say(''), forMs);
  }

  function setEnabled(on) {
    for (const b of buttons) b.disabled = !on;
  }

  // After a 429: the buttons rest until Retry-After has passed, counting down.
  function rest(seconds) {
    restUntilMs = Date.now() + seconds * 1000;
    setEnabled(false);
    clearInterval(restTimer);
    const tick = () => {
      const left = Math.ceil((restUntilMs - Date.now()) / 1000);
      if (left <= 0) {
        clearInterval(restTimer);
        setEnabled(true);
        say('');
        return;
      }
      say(`Thanks for the enthusiasm! Reactions rest for ${left} s.`);
    };
    tick();
    restTimer = setInterval(tick, 1000);
  }

  async function send(button) {
    if (Date.now() < restUntilMs) return;
    button.classList.add('sent');
    setTimeout(() => button.classList.remove('sent'), kSentMs);
    let response;
    try {
      response = await fetch(kReactionsUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ kind: button.dataset.kind }),
      });
    } catch (e) {
      say('Could not reach the installation; try again in a moment.', kNoteMs);
      return;
    }
    if (response.status === 429) {
      const after = parseInt(response.headers.get('Retry-After') || '', 10);
      rest(Number.isFinite(after) && after > 0 ? Math.min(after, 120) : 10);
    } else if (response.status === 404) {
      nav.hidden = true; // reactions were turned off
    } else if (!response.ok) {
      say('That reaction did not go through.', kNoteMs);
    }
  }

  for (const b of buttons) b.addEventListener('click', () => send(b));

  // Shown only when the installation takes reactions.
  fetch(kReactionsUrl)
    .then((r) => (r.ok ? r.json() : null))
    .then((info) => {
      nav.hidden = !(info && info.enabled);
    })
    .catch(() => {});
})();
