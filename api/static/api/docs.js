// Starts ReDoc on the docs page with this page's CSP nonce, so the <style> elements ReDoc
// injects are allowed without 'unsafe-inline'. ReDoc's sidebar always asks cdn.redoc.ly for
// Redocly's logo: an image source on another host is dropped here before any request (the page
// asks no other host for anything, and the console stays free of CSP errors).
(function () {
  var ownHost = window.location.origin;

  function isElsewhere(value) {
    try {
      return new URL(String(value), document.baseURI).origin !== ownHost;
    } catch (error) {
      return false;
    }
  }

  var setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (name, value) {
    if (this instanceof HTMLImageElement && String(name).toLowerCase() === "src" && isElsewhere(value)) {
      return undefined;
    }
    return setAttribute.call(this, name, value);
  };
  var src = Object.getOwnPropertyDescriptor(HTMLImageElement.prototype, "src");
  Object.defineProperty(HTMLImageElement.prototype, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) {
      if (!isElsewhere(value)) { src.set.call(this, value); }
    }
  });

  var container = document.getElementById("redoc-container");
  Redoc.init(container.dataset.specUrl, { nonce: document.currentScript.nonce }, container);
})();
