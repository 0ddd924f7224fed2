/* "I use this" on a package page: the button marks (POST) or unmarks (DELETE) the package through
   the API's usage endpoint, then shows the new count, without a reload. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form.dp-usage-form");
    if (!form) { return; }
    event.preventDefault();
    var button = form.querySelector(".dp-usage-toggle");
    var used = button.getAttribute("aria-pressed") === "true";
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    button.disabled = true;
    fetch(form.getAttribute("action"), {
      method: used ? "DELETE" : "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, Accept: "application/json" }
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (body) {
        button.setAttribute("aria-pressed", body.used ? "true" : "false");
        var count = document.querySelector(".dp-usage-count");
        var words = document.querySelector(".dp-usage-words");
        if (count) { count.textContent = Number(body.usage_count).toLocaleString("en-US"); }
        if (words) { words.textContent = body.usage_count === 1 ? "user uses this" : "users use this"; }
      })
      .catch(function () { form.submit(); })
      .then(function () { button.disabled = false; });
  });
}());
