// The Live page's only script: subscribe to /live/events (server-sent events) and replace #live with each
// event's HTML. The server renders and escapes that HTML (src/dashboard/pages/live.ts); this script adds
// none of its own. EventSource reconnects by itself; the status line says when the stream is down.
(() => {
  const box = document.getElementById('live');
  const state = document.getElementById('live-state');
  if (!box || !window.EventSource) return;
  const say = (text) => {
    if (state) state.textContent = text;
  };
  const events = new EventSource(box.dataset.events);
  events.addEventListener('open', () => {
    say('Live: updates as the workers report (no reload needed).');
  });
  events.addEventListener('live', (e) => {
    box.innerHTML = e.data;
  });
  events.addEventListener('error', () => {
    say('Live updates interrupted; reconnecting… (reload the page if this stays)');
  });
})();
