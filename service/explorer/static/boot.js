// Inlined at the top of the explorer's index (service/explorer/explorer_handler.h): starts the
// first page's API requests while the rest of the page is parsed, so they overlap the script's
// compilation instead of following it. app.js's api() uses each response once; it builds the
// same URLs. A classic script: it runs before anything else, and does nothing but fetch.
(function () {
  'use strict';
  var early = {};
  window.__early = early;
  function get(url) {
    early[url] = fetch(url, { headers: { Accept: 'application/json' } });
  }
  get('/api/v1/log');
  var m = /^#\/claim\/([^?\/]+)$/.exec(location.hash);
  if (m) {
    try {
      get('/api/v1/claims/' + encodeURIComponent(decodeURIComponent(m[1])));
    } catch (e) {
      // A malformed escape: app.js reports it on the page.
    }
  }
}());
