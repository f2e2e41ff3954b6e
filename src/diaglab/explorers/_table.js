// diaglab's sortable table: a header click asks Python to sort (Python sorts the whole table,
// or the engine sorts with ORDER BY for paged rows); Python sends back the rows in that order.
// Optional: a button per row ("#1") that picks the row (`value` and `picked` = its key, `picks`
// counts picks); the row whose key is `value` is drawn selected.

function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "diaglab-table-box";
  el.appendChild(box);

  function headerCell(name, index, sort) {
    const shown = (model.get("headers") ?? [])[index] ?? name;
    const th = document.createElement("th");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "diaglab-table-sort";
    const [column, direction] = sort;
    const active = column === name;
    const arrow = active ? (direction === "desc" ? " ▼" : " ▲") : "";
    button.textContent = shown + arrow;
    button.title = active
      ? `sorted by ${shown}, ${direction === "desc" ? "descending" : "ascending"}; click to reverse`
      : `sort by ${shown}`;
    th.setAttribute("aria-sort", active ? (direction === "desc" ? "descending" : "ascending") : "none");
    if ((model.get("numeric") ?? [])[index]) th.classList.add("diaglab-num");
    if ((model.get("secondary") ?? [])[index]) th.classList.add("diaglab-secondary");
    button.addEventListener("click", () => {
      const first = (model.get("numeric") ?? [])[index] ? "desc" : "asc";
      const next = active ? (direction === "desc" ? "asc" : "desc") : first;
      model.set("sort", [name, next]);
      model.save_changes();
    });
    th.appendChild(button);
    return th;
  }

  function draw() {
    const columns = model.get("columns") ?? [];
    const rows = model.get("rows") ?? [];
    const sort = model.get("sort") ?? ["", ""];
    const numeric = model.get("numeric") ?? [];
    const wraps = model.get("wraps") ?? [];
    const secondary = model.get("secondary") ?? [];
    const buttons = model.get("buttons") ?? [];
    const titles = model.get("titles") ?? [];
    const keys = model.get("row_keys") ?? [];
    const rowClass = model.get("row_class") ?? "";
    if (!columns.length) {
      const note = document.createElement("i");
      note.textContent = model.get("empty") ?? "";
      box.replaceChildren(note);
      return;
    }
    const table = document.createElement("table");
    table.className = "diaglab-table";
    const head = table.createTHead().insertRow();
    if (buttons.length) head.appendChild(document.createElement("th"));
    columns.forEach((name, i) => head.appendChild(headerCell(name, i, sort)));
    const body = table.createTBody();
    rows.forEach((cells, r) => {
      const tr = body.insertRow();
      if (rowClass) tr.className = rowClass;
      if (keys.length && keys[r] === model.get("value")) tr.classList.add("diaglab-selected");
      if (buttons.length) {
        const td = tr.insertCell();
        const pick = document.createElement("button");
        pick.type = "button";
        pick.className = "diaglab-table-pick";
        pick.textContent = buttons[r] ?? "";
        pick.title = titles[r] ?? "";
        pick.addEventListener("click", () => {
          model.set("picked", keys[r] ?? "");
          model.set("value", keys[r] ?? "");
          model.set("picks", (model.get("picks") ?? 0) + 1);
          model.save_changes();
        });
        td.appendChild(pick);
      }
      cells.forEach((text, i) => {
        const td = tr.insertCell();
        td.textContent = text;
        if (numeric[i]) td.className = "diaglab-num";
        if (wraps[i]) td.classList.add("diaglab-wrap");
        if (secondary[i]) td.classList.add("diaglab-secondary");
      });
    });
    box.replaceChildren(table);
  }

  const names = ["columns", "headers", "rows", "sort", "numeric", "wraps", "secondary", "buttons", "titles", "row_keys", "empty", "value"];
  for (const name of names) model.on(`change:${name}`, draw);
  draw();
  return () => {
    for (const name of names) model.off(`change:${name}`, draw);
  };
}

export default { render };
