/* Sort a table marked `data-sortable` by a numeric column: click a `.dp-sort` header button
   (first click: highest first; again: lowest first). Rows keep their order among equals. */
(function () {
  "use strict";

  function sortBy(table, header, column) {
    var descending = header.getAttribute("aria-sort") !== "descending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows = rows.map(function (row, index) { return { row: row, index: index }; });
    rows.sort(function (a, b) {
      var x = Number(a.row.cells[column].getAttribute("data-sort-value"));
      var y = Number(b.row.cells[column].getAttribute("data-sort-value"));
      if (x === y) { return a.index - b.index; }
      return descending ? y - x : x - y;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (cell) {
      if (cell.hasAttribute("aria-sort")) { cell.setAttribute("aria-sort", "none"); }
    });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("table[data-sortable] .dp-sort");
    if (!button) { return; }
    var table = button.closest("table");
    var column = Number(button.getAttribute("data-sort-column"));
    var first = table.tBodies[0] && table.tBodies[0].rows[0];
    if (!first || !first.cells[column] || !first.cells[column].hasAttribute("data-sort-value")) {
      return;
    }
    sortBy(table, button.closest("th"), column);
  });
})();
