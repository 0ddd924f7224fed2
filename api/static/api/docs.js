// Starts ReDoc on the docs page with this page's CSP nonce, so the <style> elements ReDoc
// injects are allowed without 'unsafe-inline'.
(function () {
  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: document.currentScript.nonce }, container);
})();
