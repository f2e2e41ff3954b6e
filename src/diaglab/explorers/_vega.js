// diaglab's chart widget: Altair's JupyterChart front end (altair/jupyter/js/index.js, BSD-3),
// with two changes.
// 1. Vega-Embed is not carried by every chart: it is imported once per page from the source
//    held by one shared runtime model (the chart's `_runtime`), so a notebook stores ~1 MB of
//    JavaScript once instead of once per chart, and a saved notebook still draws without a kernel.
// 2. One `_params` listener per view, removed when the view is replaced: Altair adds one per
//    embed and never removes it, so a parameter change reached views that had been replaced
//    (`Unrecognized signal name: "window_lo"` when a chart without that parameter was shown).

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

async function render({ model, el }) {
  const { vegaEmbed, lodashDebounce } = await loadRuntime(model);
  let api = null;
  let generation = 0;

  function showError(error) {
    const box = document.createElement("div");
    box.style.color = "#8a1c1c";
    box.textContent = "Chart error: " + error.message;
    el.replaceChildren(box);
  }

  async function reembed() {
    const mine = ++generation;
    if (api != null) {
      api.finalize();
      api = null;
    }
    model.set("local_tz", Intl.DateTimeFormat().resolvedOptions().timeZone);
    const spec = structuredClone(model.get("spec"));
    if (spec == null) {
      el.replaceChildren();
      model.save_changes();
      return;
    }
    const embedOptions = structuredClone(model.get("embed_options")) ?? undefined;
    let next;
    try {
      next = await vegaEmbed(el, spec, embedOptions);
    } catch (error) {
      showError(error);
      return;
    }
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
    model.off("change:spec", reembed);
    model.off("change:embed_options", reembed);
    model.off("change:debounce_wait", reembed);
    model.off("change:max_wait", reembed);
    model.off("change:_params", onParams);
    if (api != null) api.finalize();
  };
}

export default { render };
