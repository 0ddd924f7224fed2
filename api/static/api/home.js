/* The home page's search: results as you type, from /api/v4/search/ (JSON), without a reload.
   Without JavaScript the form still submits to the browsable search page. */
(function () {
  "use strict";

  function formatted(number) {
    return Number(number || 0).toLocaleString("en-US");
  }

  function render(region, query, hits) {
    region.textContent = "";
    var heading = document.createElement("h2");
    heading.textContent = hits.length
      ? hits.length + " result" + (hits.length === 1 ? "" : "s") + " for \u201c" + query + "\u201d"
      : "Nothing found for \u201c" + query + "\u201d";
    region.appendChild(heading);
    var list = document.createElement("ul");
    hits.slice(0, 15).forEach(function (hit) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = hit.url + (hit.url.indexOf("?") < 0 ? "?format=api" : "");
      link.textContent = hit.title;
      item.appendChild(link);
      var kind = document.createElement("span");
      kind.className = "dp-kind";
      // No "0 stars": a package without a repository has no star count to show.
      kind.textContent = hit.item_type === "grid" ? "grid"
        : hit.repo_watchers ? formatted(hit.repo_watchers) + " stars" : hit.category || "";
      item.appendChild(kind);
      if (hit.description) {
        var text = document.createElement("div");
        text.textContent = hit.description;
        item.appendChild(text);
      }
      list.appendChild(item);
    });
    region.appendChild(list);
    region.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-search-api]");
    var region = document.getElementById("dp-results");
    if (!form || !region) { return; }
    var input = form.querySelector("input[name=q]");
    var api = form.getAttribute("data-search-api");
    var timer = null;
    var latest = 0;

    function search() {
      var query = input.value.trim();
      if (!query) { region.hidden = true; region.textContent = ""; return; }
      var ticket = ++latest;
      fetch(api + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (hits) { if (ticket === latest) { render(region, query, hits); } })
        .catch(function () { /* the form still works: Enter submits it */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, 200);
    });
  });
}());
