// diaglab's chart widget: Altair's JupyterChart front end (altair/jupyter/js/index.js, BSD-3),
// with two changes.
// 1. Vega-Embed is not carried by every chart: it is imported once per page from the source
//    held by one shared runtime model (the chart's `_runtime`), so a notebook stores ~1 MB of
//    JavaScript once instead of once per chart, and a saved notebook still draws without a kernel.
// 2. One `_params` listener per view, removed when the view is replaced: Altair adds one per
//    embed and never removes it, so a parameter change reached views that had been replaced
//    (`Unrecognized signal name: "window_lo"` when a chart without that parameter was shown).
// 3. The chart fits the width it is given: drawn wider than its box, it is drawn again with its
//    plots narrower (every view width scaled; axes and legends keep their size), and again when
//    the box is resized. Below NARROW px, side-by-side parts stack and legends go below.
// 4. A redraw at a new width keeps the selections made in the chart: each one's tuples are the
//    initial value of its parameter in the spec drawn again (a brush stays where it was, in
//    data units, and Python sees the same selection).

const RUNTIMES = (globalThis.__diaglabVegaRuntimes ??= new Map());

function loadRuntime(model) {
  const ref = model.get("_runtime") ?? "";
  const id = ref.startsWith("IPY_MODEL_") ? ref.slice("IPY_MODEL_".length) : ref;
  if (!RUNTIMES.has(id)) {
    RUNTIMES.set(
      id,
      (async () => {
        const runtime = await model.widget_manager.get_model(id);
        const key = "v:" + (runtime.get("version") || id);
        if (!RUNTIMES.has(key)) RUNTIMES.set(key, importPacked(runtime.get("source")));
        return RUNTIMES.get(key);
      })(),
    );
  }
  return RUNTIMES.get(id);
}

// The runtime's source: an ES module, gzip-compressed and base64-encoded.
async function importPacked(packed) {
  const bytes = Uint8Array.from(atob(packed), (c) => c.charCodeAt(0));
  const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  const text = await new Response(inflated).text();
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

const NARROW = 600; // px: below it, parts stack and legends move under the plot
const MIN_PLOT = 120; // px: a plot is never drawn narrower
const SLACK = 4; // px of rounding the fit tolerates
// objects whose `width` is not a view's (a bar's width, a legend's, the config's defaults)
const NOT_VIEWS = new Set(["mark", "encoding", "config", "data", "datasets", "params",
  "transform", "legend", "axis", "title", "header", "scale"]);

function viewWidths(node, out = []) {
  if (Array.isArray(node)) {
    for (const item of node) viewWidths(item, out);
  } else if (node && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "width" && typeof value === "number") out.push(value);
      else if (!NOT_VIEWS.has(key)) viewWidths(value, out);
    }
  }
  return out;
}

function scaleWidths(node, factor) {
  if (Array.isArray(node)) return node.map((item) => scaleWidths(item, factor));
  if (!node || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "width" && typeof value === "number") {
      out[key] = Math.max(MIN_PLOT, Math.floor(value * factor));
    } else {
      out[key] = NOT_VIEWS.has(key) ? value : scaleWidths(value, factor);
    }
  }
  return out;
}

// A narrow box: side-by-side parts one under the other, legends below their plot.
function stacked(spec) {
  const out = structuredClone(spec);
  (function walk(node) {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node.hconcat)) {
      node.vconcat = node.hconcat;
      delete node.hconcat;
    }
    if (node.facet && typeof node.facet === "object" && node.facet.column && !node.facet.row) {
      node.facet.row = node.facet.column;
      delete node.facet.column;
    }
    for (const [key, value] of Object.entries(node)) if (!NOT_VIEWS.has(key)) walk(value);
  })(out);
  out.config = { ...(out.config ?? {}) };
  out.config.legend = { ...(out.config.legend ?? {}), orient: "bottom" };
  return out;
}

// The chart's width with vega-embed's own padding (room for its actions menu), and the room
// its box gives it (vega-embed draws into `el` itself, which it marks `.vega-embed`).
// Chart titles and subtitles longer than the box broken into lines (Vega-Lite draws an array
// of strings as lines): a title is text, it does not get narrower with the plots.
const CHAR_PX = 6.5; // px per character of an 11-13 px title font, rounded up
function wrapped(text, box) {
  const most = Math.max(20, Math.floor((box - 24) / CHAR_PX));
  if (typeof text !== "string" || text.length <= most) return text;
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > most) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

function wrapTitles(spec, box) {
  const out = structuredClone(spec);
  (function walk(node) {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    if (typeof node.title === "string") node.title = wrapped(node.title, box);
    else if (node.title && typeof node.title === "object" && !Array.isArray(node.title)) {
      node.title.text = wrapped(node.title.text, box);
      if (node.title.subtitle) node.title.subtitle = wrapped(node.title.subtitle, box);
    }
    for (const [key, value] of Object.entries(node)) if (!NOT_VIEWS.has(key)) walk(value);
  })(out);
  return out;
}

function measured(el) {
  const chart = el.querySelector(":scope > .chart-wrapper, :scope > svg, :scope > canvas");
  if (chart == null) return { drawn: el.scrollWidth, room: el.clientWidth };
  const style = getComputedStyle(el);
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  // the chart's own width (scrollWidth is never below the box's, so it cannot say "narrower")
  return { drawn: Math.ceil(chart.getBoundingClientRect().width + padding), room: el.clientWidth };
}

function cleanJson(data) {
  return JSON.parse(JSON.stringify(data ?? null));
}

function hasSignal(view, name) {
  try {
    view.signal(name);
    return true;
  } catch {
    return false;
  }
}

// A selection's tuples (its `<name>_store` data) as the `value` a Vega-Lite selection
// parameter starts with: `{x: [lo, hi]}` for an interval, `[{field: v}, …]` for points.
function initialValue(store) {
  const tuples = (store ?? []).filter((t) => Array.isArray(t.fields) && Array.isArray(t.values));
  if (!tuples.length) return undefined;
  const plain = (v) => (v instanceof Date ? v.getTime() : v);
  if (tuples[0].fields.every((f) => f.type === "R")) {
    const ranges = {};
    tuples[0].fields.forEach((f, i) => {
      const range = tuples[0].values[i] ?? [];
      // a time range read back from the model is ISO text: the scale wants milliseconds
      ranges[f.channel ?? f.field] = range.map((v) =>
        typeof v === "string" && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : plain(v),
      );
    });
    return ranges;
  }
  return tuples.map((t) => Object.fromEntries(t.fields.map((f, i) => [f.field, plain(t.values[i])])));
}

// `spec` with each named selection parameter starting at `values[name]`.
function withSelections(spec, values) {
  const out = structuredClone(spec);
  (function walk(node) {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== "object") return;
    if (Array.isArray(node.params)) {
      for (const param of node.params) {
        if (param && param.select && values[param.name] !== undefined) {
          param.value = values[param.name];
        }
      }
    }
    for (const [key, value] of Object.entries(node)) if (key !== "data" && key !== "datasets") walk(value);
  })(out);
  return out;
}

async function render({ model, el }) {
  const { vegaEmbed, lodashDebounce } = await loadRuntime(model);
  el.classList.add("diaglab-chart-host");
  let api = null;
  let generation = 0;
  let fittedTo = null; // the box width the chart was last drawn for
  let around = null; // px the chart takes beside its widest plot (axes, legends, padding)

  function showError(error) {
    const box = document.createElement("div");
    box.style.color = "#8a1c1c";
    box.textContent = "Chart error: " + error.message;
    el.replaceChildren(box);
  }

  // `keep`: the same spec drawn again (at a new width), its selections as they are now
  async function reembed(keep = false) {
    const mine = ++generation;
    const kept = {};
    if (api != null) {
      if (keep === true) {
        for (const name of Object.keys(model.get("_vl_selections") ?? {})) {
          if (!hasSignal(api.view, name)) continue;
          const value = initialValue(api.view.data(`${name}_store`));
          if (value !== undefined) kept[name] = value;
        }
      }
      api.finalize();
      api = null;
    }
    model.set("local_tz", Intl.DateTimeFormat().resolvedOptions().timeZone);
    let spec = structuredClone(model.get("spec"));
    if (spec != null && Object.keys(kept).length) spec = withSelections(spec, kept);
    if (spec == null) {
      el.replaceChildren();
      model.save_changes();
      return;
    }
    const embedOptions = structuredClone(model.get("embed_options")) ?? undefined;
    const box = el.clientWidth;
    let next;
    try {
      next = await fitted(spec, embedOptions, box, () => mine !== generation);
    } catch (error) {
      showError(error);
      return;
    }
    if (next == null) return; // a newer spec is being embedded
    fittedTo = box;
    if (mine !== generation) {
      next.finalize(); // a newer spec arrived while this one was being embedded
      return;
    }
    api = next;
    const view = api.view;
    const wait = model.get("debounce_wait") ?? 10;
    const debounceOpts = { leading: false, trailing: true };
    if (model.get("max_wait") ?? true) debounceOpts.maxWait = wait;

    const selections = {};
    for (const name of Object.keys(model.get("_vl_selections") ?? {})) {
      if (!hasSignal(view, name)) continue;
      const storeName = `${name}_store`;
      const handler = (_, value) => {
        if (mine !== generation) return;
        const next = cleanJson(model.get("_vl_selections") ?? {});
        next[name] = { value, store: cleanJson(view.data(storeName) ?? []) };
        model.set("_vl_selections", next);
        model.save_changes();
      };
      view.addSignalListener(name, lodashDebounce(handler, wait, debounceOpts));
      selections[name] = {
        value: cleanJson(view.signal(name) ?? {}),
        store: cleanJson(view.data(storeName) ?? []),
      };
    }
    model.set("_vl_selections", selections);

    // parameters Python set while the view was being embedded are applied now
    await applyParams(view);
    for (const name of Object.keys(model.get("_params") ?? {})) {
      if (!hasSignal(view, name)) continue;
      const handler = (_, value) => {
        if (mine !== generation) return;
        const next = cleanJson(model.get("_params") ?? {});
        if (next[name] === value) return;
        next[name] = value;
        model.set("_params", next);
        model.save_changes();
      };
      view.addSignalListener(name, lodashDebounce(handler, wait, debounceOpts));
    }
    model.save_changes();
  }

  // Embed `spec` as it is; while it is drawn wider than `box`, again with narrower plots.
  async function fitted(spec, options, box, stale) {
    const base = box > 0 ? wrapTitles(box < NARROW ? stacked(spec) : spec, box) : spec;
    const widths = viewWidths(base);
    const widest = Math.max(...widths);
    let scaled = base;
    if (box > 0 && widths.length && around !== null && widest + around > box) {
      // what the last drawing took beside its plots: most redraws fit at the first try
      scaled = scaleWidths(base, Math.max(MIN_PLOT, box - around - SLACK) / widest);
    }
    el.dataset.fitBox = ""; // being drawn
    let next = await vegaEmbed(el, scaled, options);
    // plot widths found to fit and not to fit: a title or legend wider than the plots does not
    // shrink with them, so a chart that fits with room left is grown by bisection
    let fitting = null;
    let over = null;
    for (let tries = 0; box > 0 && widths.length && tries < 7; tries++) {
      if (stale()) {
        next.finalize();
        return null;
      }
      const { drawn, room } = measured(el);
      if (room === 0) break;
      const plot = Math.max(...viewWidths(scaled));
      around = drawn - plot; // axes, legends, padding (or a title wider than the plots)
      const fits = drawn <= room + 1;
      if (fits) fitting = Math.max(fitting ?? 0, plot);
      else over = Math.min(over ?? Infinity, plot);
      if (fits && (plot >= widest || room - drawn <= 3 * SLACK)) break;
      let target;
      if (!fits && fitting === null) target = plot - (drawn - room) - SLACK; // by the excess
      else if (over === null) target = widest; // fits with room left: the chart's own width?
      else if (over - fitting > 2 * SLACK) target = (fitting + over) / 2;
      else target = fitting; // as wide as fits
      target = Math.floor(Math.min(widest, Math.max(MIN_PLOT, target)));
      if (target === plot) break; // at the smallest plot, or already the widest that fits
      next.finalize();
      scaled = target >= widest ? base : scaleWidths(base, target / widest);
      next = await vegaEmbed(el, scaled, options);
    }
    const last = measured(el);
    if (last.drawn > last.room + 1 && fitting !== null && !stale()) {
      next.finalize(); // out of tries on a width too wide: the widest that fitted
      scaled = fitting >= widest ? base : scaleWidths(base, fitting / widest);
      next = await vegaEmbed(el, scaled, options);
    }
    const { drawn, room } = measured(el);
    el.dataset.fit = `box ${box}, drawn ${drawn} in ${room}`;
    el.dataset.fitBox = String(box); // the browser tests wait until it is the box's width
    return next;
  }

  // a box resized (a narrower window, a side panel, a tab shown): fit the chart again
  const refit = lodashDebounce(() => {
    const box = el.clientWidth;
    if (api == null || box === 0 || fittedTo === null) return;
    const { drawn, room } = measured(el);
    const fits = drawn <= room + 1;
    if (fits && (Math.abs(box - fittedTo) < 8 || fittedTo === 0)) {
      fittedTo = box; // still fits (or drawn while hidden, and fits): nothing to redraw
      el.dataset.fitBox = String(box);
      return;
    }
    reembed(true);
  }, 150);
  const observer = new ResizeObserver(refit);
  observer.observe(el);

  async function onParams() {
    if (api != null) await applyParams(api.view); // else the embed in flight applies them
  }

  async function applyParams(view) {
    let changed = false;
    for (const [name, value] of Object.entries(model.get("_params") ?? {})) {
      if (hasSignal(view, name) && view.signal(name) !== value) {
        view.signal(name, value);
        changed = true;
      }
    }
    if (changed) await view.runAsync();
  }

  model.on("change:spec", reembed);
  model.on("change:embed_options", reembed);
  model.on("change:debounce_wait", reembed);
  model.on("change:max_wait", reembed);
  model.on("change:_params", onParams);
  await reembed();
  return () => {
    generation++;
    observer.disconnect();
    model.off("change:spec", reembed);
    model.off("change:embed_options", reembed);
    model.off("change:debounce_wait", reembed);
    model.off("change:max_wait", reembed);
    model.off("change:_params", onParams);
    if (api != null) api.finalize();
  };
}

export default { render };
