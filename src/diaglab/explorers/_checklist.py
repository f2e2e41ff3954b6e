"""A multiple choice drawn as a row of checkboxes: every option in sight, one click each.

A drop-in for ``ipywidgets.SelectMultiple`` (``options`` as values or ``(label, value)``
pairs, ``value`` a tuple, ``description``), which shows five rows and needs Ctrl-click to pick
a second one.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from diaglab.errors import unknown

_ESM = """
function render({ model, el }) {
  const box = document.createElement("div");
  box.className = "diaglab-checklist";
  el.appendChild(box);
  function draw() {
    const labels = model.get("labels") ?? [];
    const chosen = new Set(model.get("chosen") ?? []);
    const items = [];
    const description = model.get("description");
    if (description) {
      const title = document.createElement("span");
      title.className = "diaglab-checklist-title";
      title.textContent = description;
      items.push(title);
    }
    labels.forEach((text, i) => {
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = chosen.has(i);
      box.addEventListener("change", () => {
        const now = new Set(model.get("chosen") ?? []);
        if (box.checked) now.add(i); else now.delete(i);
        model.set("chosen", [...now].sort((a, b) => a - b));
        model.save_changes();
      });
      label.append(box, " " + text);
      items.push(label);
    });
    box.replaceChildren(...items);
  }
  model.on("change:labels", draw);
  model.on("change:chosen", draw);
  model.on("change:description", draw);
  draw();
}
export default { render };
"""


class CheckList(anywidget.AnyWidget):
    """Checkboxes for a multiple choice, with ``SelectMultiple``'s ``options`` and ``value``.

    Parameters
    ----------
    options : list
        The choices: values, or ``(label, value)`` pairs.
    value : tuple
        The values checked.
    description : str
        A label before the boxes.
    """

    _esm = _ESM
    _css = """
    .diaglab-checklist { display: flex; flex-wrap: wrap; gap: 2px 12px; align-items: center;
      font-size: var(--jp-widgets-font-size, 13px); max-width: 100%; }
    .diaglab-checklist label { white-space: nowrap; cursor: pointer; }
    .diaglab-checklist-title { width: 80px; flex: 0 0 auto; }
    """
    description = traitlets.Unicode("").tag(sync=True)
    labels = traitlets.List(traitlets.Unicode()).tag(sync=True)
    chosen = traitlets.List(traitlets.Int()).tag(sync=True)
    """Indexes of the checked options (what the browser sends)."""
    options: traitlets.List[Any] = traitlets.List()
    value = traitlets.Tuple()

    def __init__(self, **kwargs: Any) -> None:
        self._values: list[Any] = []
        super().__init__(**kwargs)

    @traitlets.observe("options")
    def _options_changed(self, change: Any) -> None:
        pairs = [o if isinstance(o, tuple) else (str(o), o) for o in change["new"]]
        self._values = [v for _, v in pairs]
        kept = tuple(v for v in self.value if v in self._values)
        with self.hold_sync():
            self.labels = [str(label) for label, _ in pairs]
            self.value = kept
            self.chosen = [self._values.index(v) for v in kept]

    @traitlets.validate("value")
    def _valid_value(self, proposal: Any) -> tuple[Any, ...]:
        for v in proposal["value"]:
            if v not in self._values:
                raise unknown("choice", v, [str(x) for x in self._values])
        return tuple(proposal["value"])

    @traitlets.observe("value")
    def _value_changed(self, change: Any) -> None:
        chosen = [self._values.index(v) for v in change["new"]]
        if chosen != self.chosen:
            self.chosen = chosen

    @traitlets.observe("chosen")
    def _chosen_changed(self, change: Any) -> None:
        value = tuple(self._values[i] for i in change["new"] if 0 <= i < len(self._values))
        if value != self.value:
            self.value = value
