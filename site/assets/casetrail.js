/* casetrail site script: sortable and filterable tables on the auditors' site.
 *
 * Plain JavaScript with no dependencies and no network use: the site must work from a USB stick,
 * over file:// or http. Record text is only ever read with textContent and written with
 * textContent (never innerHTML), so whatever a case's title says stays inert text.
 *
 * For every table in the page content (article, .md-content) with one header row and one body:
 *  - each column header holds a button: click (or Enter/Space) sorts ascending, again descending;
 *    the header carries aria-sort; the sort is stable, numeric-aware ("9" < "12"), and knows
 *    numbers and percentages, ISO timestamps with offsets, and durations ("5 h" < "1 d 2 h");
 *    empty cells go last;
 *  - a table with at least 12 body rows gets a "Filter" box: a case-insensitive substring match on
 *    each row's text, with a live "N of M rows" count;
 *  - the page's query string filters columns: `?status=closed&priority=high` keeps rows whose
 *    "status" cell is exactly "closed" (case-insensitive) and whose "priority" cell is "high".
 *    A key is a column header lowercased, spaces as "_" ("late by" -> late_by); the same key given
 *    twice means either value (`?status=new&status=assigned`); a key matching no column is ignored.
 *    A notice above the table says which filter applies and links to the page without it.
 * Irregular tables (several header rows or bodies, merged cells) are left as they are.
 */
(function () {
  "use strict";

  var MIN_ROWS_FOR_FILTER = 12; // a short table is read at a glance
  var TABLES = "article table, .md-content table";
  var INTERACTIVE = "a[href], button, input, select, textarea, [tabindex]";

  var collator = new Intl.Collator(document.documentElement.lang || undefined, {
    numeric: true,
    sensitivity: "base",
  });
  var NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?( ?%)?$/i; // "12", "-3", "84.5 %"
  var INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[-+]\d{2}:?\d{2})$/i;
  var DURATION = /^(\d+(\.\d+)?\s*(w|weeks?|d|days?|h|hours?|min|minutes?|s|secs?|seconds?)\s*)+$/i;
  var DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gi;
  var UNIT_SECONDS = { w: 604800, d: 86400, h: 3600, min: 60, s: 1 };

  var idCounter = 0;

  function uniqueId(prefix) {
    var id;
    do {
      idCounter += 1;
      id = prefix + idCounter;
    } while (document.getElementById(id));
    return id;
  }

  function textOf(node) {
    return (node.textContent || "").replace(/\s+/g, " ").trim();
  }

  /* A header's text, or a query string's key, as a query key: "Late by" -> "late_by". */
  function columnKey(text) {
    return text.replace(/\s+/g, " ").trim().toLowerCase().replace(/ /g, "_");
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function durationSeconds(text) {
    var total = 0;
    var part;
    DURATION_PART.lastIndex = 0;
    while ((part = DURATION_PART.exec(text)) !== null) {
      var unit = part[2].toLowerCase();
      var key = unit.charAt(0) === "m" ? "min" : unit.charAt(0);
      total += parseFloat(part[1]) * UNIT_SECONDS[key];
    }
    return total;
  }

  /* A column's sort keys: numbers, instants or durations when every filled cell is one, else the
   * text (compared numeric-aware); null for an empty cell. */
  function sortKeys(cells) {
    var filled = cells.filter(function (text) {
      return text !== "";
    });
    function all(test) {
      return filled.length > 0 && filled.every(test);
    }
    function matches(pattern) {
      return function (text) {
        return pattern.test(text);
      };
    }
    function isInstant(text) {
      return INSTANT.test(text) && isFinite(Date.parse(text));
    }
    var toKey = null;
    if (all(matches(NUMBER))) {
      toKey = parseFloat;
    } else if (all(isInstant)) {
      toKey = Date.parse;
    } else if (all(matches(DURATION))) {
      toKey = durationSeconds;
    }
    return cells.map(function (text) {
      if (text === "") return null;
      return toKey ? toKey(text) : text;
    });
  }

  function compareKeys(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    var byText = collator.compare(a, b);
    return byText !== 0 ? byText : a < b ? -1 : a > b ? 1 : 0;
  }

  /* The filters the query string asks of this table: [{column, label, values}], in query order. */
  function queryFilters(headers, params) {
    var byKey = new Map();
    var filters = [];
    params.forEach(function (value, key) {
      var wanted = columnKey(key);
      var column = -1;
      for (var i = 0; i < headers.length; i += 1) {
        if (columnKey(textOf(headers[i])) === wanted) {
          column = i;
          break;
        }
      }
      if (column < 0) return; // a key that names no column of this table is ignored
      var filter = byKey.get(wanted);
      if (!filter) {
        filter = { column: column, label: textOf(headers[column]), values: [] };
        byKey.set(wanted, filter);
        filters.push(filter);
      }
      filter.values.push(value.replace(/\s+/g, " ").trim());
    });
    return filters;
  }

  function pageWithoutQuery() {
    var url = new URL(window.location.href);
    url.search = "";
    url.hash = "";
    return url.href;
  }

  function quoted(value) {
    return "\u201c" + value + "\u201d";
  }

  function describeFilters(filters) {
    return filters
      .map(function (filter) {
        return filter.label + " is " + filter.values.map(quoted).join(" or ");
      })
      .join(" and ");
  }

  function rowCount(visible, total) {
    return visible + " of " + total + (total === 1 ? " row" : " rows");
  }

  /* A regular table's header cells and body rows, or null when it is not one we can handle. */
  function regularTable(table) {
    if (!table.tHead || table.tHead.rows.length !== 1 || table.tBodies.length !== 1) return null;
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    if (headers.length === 0) return null;
    function plain(cell) {
      return cell.colSpan === 1 && cell.rowSpan === 1;
    }
    if (!headers.every(plain)) return null;
    var regular = rows.every(function (row) {
      var cells = Array.prototype.slice.call(row.cells);
      return cells.length === headers.length && cells.every(plain);
    });
    return regular ? { headers: headers, rows: rows } : null;
  }

  function enhance(table, params) {
    if (table.hasAttribute("data-casetrail-table")) return;
    var shape = regularTable(table);
    if (!shape) return;
    table.setAttribute("data-casetrail-table", "");

    var tbody = table.tBodies[0];
    var headers = shape.headers;
    var rows = shape.rows.map(function (row) {
      var cells = Array.prototype.slice.call(row.cells).map(textOf);
      return { node: row, cells: cells, text: cells.join(" ").toLowerCase(), wanted: true };
    });
    var total = rows.length;
    var needle = "";
    var sortKeysByColumn = [];

    var tools = element("div", "casetrail-table-tools");
    var count = null;
    var printNote = null;

    var filters = queryFilters(headers, params);
    rows.forEach(function (row) {
      row.wanted = filters.every(function (filter) {
        var cell = row.cells[filter.column].toLowerCase();
        return filter.values.some(function (value) {
          return value.toLowerCase() === cell;
        });
      });
    });

    function show() {
      var visible = 0;
      rows.forEach(function (row) {
        var shown = row.wanted && (needle === "" || row.text.indexOf(needle) !== -1);
        row.node.hidden = !shown;
        if (shown) visible += 1;
      });

      if (count) count.textContent = rowCount(visible, total);
      if (printNote) {
        printNote.hidden = needle === "";
        printNote.textContent =
          "Rows containing " + quoted(needle) + ": " + rowCount(visible, total) + ".";
      }
    }

    if (filters.length > 0) {
      var note = element("p", "casetrail-query-note");
      var wantedRows = rows.filter(function (row) {
        return row.wanted;
      }).length;
      var said = "Showing only rows where " + describeFilters(filters) + ": ";
      note.appendChild(document.createTextNode(said + rowCount(wantedRows, total) + ". "));
      var clear = element("a", "casetrail-query-clear", "Show all rows");
      clear.href = pageWithoutQuery();
      note.appendChild(clear);
      tools.appendChild(note);
    }

    if (total >= MIN_ROWS_FOR_FILTER) {
      var box = element("div", "casetrail-filter");
      var input = element("input", "casetrail-filter-input");
      var label = element("label", "casetrail-filter-label", "Filter");
      count = element("span", "casetrail-filter-count");
      printNote = element("p", "casetrail-filter-print");
      input.type = "search";
      input.id = uniqueId("casetrail-filter-");
      input.autocomplete = "off";
      input.spellcheck = false;
      label.htmlFor = input.id;
      count.id = uniqueId("casetrail-filter-count-");
      count.setAttribute("role", "status");
      input.setAttribute("aria-describedby", count.id);
      input.addEventListener("input", function () {
        needle = input.value.replace(/\s+/g, " ").trim().toLowerCase();
        show();
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && input.value !== "") {
          input.value = "";
          needle = "";
          show();
          event.preventDefault();
        }
      });
      box.appendChild(label);
      box.appendChild(input);
      box.appendChild(count);
      tools.appendChild(box);
      tools.appendChild(printNote);
    }

    function sortBy(column) {
      var header = headers[column];
      var direction = header.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
      var sign = direction === "ascending" ? 1 : -1;
      if (!sortKeysByColumn[column]) {
        sortKeysByColumn[column] = sortKeys(
          rows.map(function (row) {
            return row.cells[column];
          })
        );
      }
      var keys = sortKeysByColumn[column];
      var order = rows.map(function (row, index) {
        return { row: row, key: keys[index] };
      });
      // Sort the rows in their current order; equal keys keep it (a stable sort), so sorting
      // by one column and then another orders by the second, then the first.
      var position = new Map();
      Array.prototype.forEach.call(tbody.rows, function (node, index) {
        position.set(node, index);
      });
      order.sort(function (a, b) {
        var byKey = 0;
        if (a.key === null || b.key === null) {
          byKey = a.key === null ? (b.key === null ? 0 : 1) : -1; // empty cells last, both ways
        } else {
          byKey = sign * compareKeys(a.key, b.key);
        }
        return byKey !== 0 ? byKey : position.get(a.row.node) - position.get(b.row.node);
      });
      var fragment = document.createDocumentFragment();
      order.forEach(function (item) {
        fragment.appendChild(item.row.node);
      });
      tbody.appendChild(fragment);
      headers.forEach(function (other) {
        other.removeAttribute("aria-sort");
      });
      header.setAttribute("aria-sort", direction);
    }

    headers.forEach(function (header, column) {
      var button = element("button", "casetrail-sort");
      var name = textOf(header);
      button.type = "button";
      if (header.querySelector(INTERACTIVE) || name === "") {
        // A link cannot sit inside a button: a separate button follows the header's content.
        button.setAttribute("aria-label", "Sort by " + (name || "column " + (column + 1)));
        header.appendChild(button);
      } else {
        while (header.firstChild) button.appendChild(header.firstChild);
        header.appendChild(button);
      }
      var icon = element("span", "casetrail-sort-icon");
      icon.setAttribute("aria-hidden", "true");
      button.appendChild(icon);
      button.addEventListener("click", function () {
        sortBy(column);
      });
    });

    if (tools.firstChild) {
      // Material wraps content tables in a scrolling box: the tools go before that box.
      var anchor = table.closest(".md-typeset__scrollwrap") || table;
      anchor.parentNode.insertBefore(tools, anchor);
    }
    show();
  }

  function enhanceAll() {
    var params = new URLSearchParams(window.location.search);
    Array.prototype.forEach.call(document.querySelectorAll(TABLES), function (table) {
      if (table.closest(".highlight, .highlighttable")) return; // code blocks' line numbers
      enhance(table, params);
    });
  }

  // Material's instant navigation is off (mkdocs.yml), so every page is a full load.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", enhanceAll);
  } else {
    enhanceAll();
  }
})();
