// Bantam console: submits jobs to the native API (/api/v1), follows them over server-sent events,
// shows the queue, resources and the gallery. Plain JavaScript, no build step, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  models: [], current: null, lastSeed: null, galleryNext: null, lastPreview: 0, shown: null, viewing: null,
};
const SAVED_FIELDS = ["prompt", "negative", "seed", "steps", "guidance", "cfg", "size", "width", "height", "precision", "vram", "batch"];

// ---- HTTP --------------------------------------------------------------------------------------------

async function api(method, path, body) {
  const init = { method, headers: { "X-Bantam-Client": "console" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error((data && data.message) || `${method} ${path}: HTTP ${response.status}`);
  return data;
}

function showError(message) {
  const box = $("form-error");
  box.textContent = message || "";
  box.hidden = !message;
}

// ---- Form --------------------------------------------------------------------------------------------

function saveForm() {
  const values = {};
  for (const id of SAVED_FIELDS) values[id] = $(id).value;
  values.model = $("model").value;
  try { localStorage.setItem("bantam.form", JSON.stringify(values)); } catch (_) { /* private mode */ }
}

function restoreForm() {
  let values = null;
  try { values = JSON.parse(localStorage.getItem("bantam.form") || "null"); } catch (_) { values = null; }
  if (values) for (const id of SAVED_FIELDS) if (values[id] !== undefined && values[id] !== null) $(id).value = values[id];
  state.savedModel = values && values.model;
  syncSize();
  $("steps-value").textContent = $("steps").value;
}

function syncSize() {
  const custom = $("size").value === "custom";
  $("custom-size").hidden = !custom;
  if (!custom) {
    const [w, h] = $("size").value.split("x");
    $("width").value = w;
    $("height").value = h;
  }
}

function numberOrNull(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

function formParameters() {
  const body = {
    prompt: $("prompt").value,
    negative_prompt: $("negative").value,
    seed: numberOrNull("seed") ?? -1,
    steps: Number($("steps").value),
    guidance: numberOrNull("guidance") ?? 3.5,
    cfg_scale: numberOrNull("cfg") ?? 1,
    width: Number($("width").value),
    height: Number($("height").value),
    precision: $("precision").value,
    batch_count: numberOrNull("batch") ?? 1,
  };
  if ($("model").value) body.model = $("model").value;
  const vram = numberOrNull("vram");
  if (vram !== null) body.vram_budget_gb = vram;
  return body;
}

/** Puts a job's parameters back into the form ("reuse parameters"). */
function applyParameters(p) {
  $("prompt").value = p.prompt || "";
  $("negative").value = p.negative_prompt || "";
  if (p.negative_prompt) $("negative-box").open = true;
  $("seed").value = p.seed;
  $("steps").value = p.steps;
  $("steps-value").textContent = p.steps;
  $("guidance").value = p.guidance;
  $("cfg").value = p.cfg_scale;
  const preset = `${p.width}x${p.height}`;
  $("size").value = [...$("size").options].some((o) => o.value === preset) ? preset : "custom";
  $("width").value = p.width;
  $("height").value = p.height;
  syncSize();
  if ([...$("model").options].some((o) => o.value === p.model)) $("model").value = p.model;
  $("precision").value = p.precision || "stored";
  $("vram").value = p.vram_budget_gb ?? "";
  $("batch").value = p.batch_count || 1;
  saveForm();
  window.scrollTo({ top: 0, behavior: "smooth" });
}

async function submit(event) {
  event.preventDefault();
  showError("");
  saveForm();
  $("generate").disabled = true;
  try {
    const job = await api("POST", "/api/v1/jobs", formParameters());
    state.current = job.id;
    state.lastPreview = 0;
    state.lastSeed = job.parameters.seed;
    $("seed-last").disabled = false;
    $("cancel").disabled = false;
    showProgress(job, null);
    // The job may have finished before this page heard its events: ask once.
    const now = await api("GET", `/api/v1/jobs/${job.id}`);
    if (state.current === job.id && !["queued", "running"].includes(now.status)) {
      state.current = null;
      showResult(now);
      refreshGallery(false);
    }
    await refreshQueue();
  } catch (error) {
    showError(error.message);
  } finally {
    $("generate").disabled = state.models.every((m) => !m.usable);
  }
}

async function cancelCurrent() {
  if (!state.current) return;
  try { await api("POST", `/api/v1/jobs/${state.current}/cancel`); } catch (error) { showError(error.message); }
}

// ---- Progress and result -----------------------------------------------------------------------------

function seconds(s) {
  if (!isFinite(s)) return "–";
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 90) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function showProgress(job, progress) {
  $("progress").hidden = false;
  $("result-actions").hidden = true;
  const bar = $("progress-bar"), text = $("progress-text");
  if (job && job.status === "queued") {
    bar.removeAttribute("value");
    text.textContent = job.queue_position > 0 ? `queued, ${job.queue_position} job(s) ahead` : "queued, starting…";
    return;
  }
  if (!progress) { bar.removeAttribute("value"); text.textContent = "starting…"; return; }
  bar.value = progress.fraction;
  const image = progress.images > 1 ? `image ${progress.image + 1}/${progress.images} · ` : "";
  if (progress.phase === "loading") text.textContent = `${image}loading the model…`;
  else if (progress.phase === "encoding") text.textContent = `${image}encoding the prompt…`;
  else if (progress.phase === "decoding") text.textContent = `${image}decoding…`;
  else text.textContent = `${image}step ${progress.step}/${progress.steps} · ${seconds(progress.seconds_per_step)}/step · ETA ${seconds(progress.eta_seconds)}`;
  if (progress.preview_url && progress.preview_version !== state.lastPreview) {
    state.lastPreview = progress.preview_version;
    const img = $("stage-image");
    img.src = progress.preview_url;
    img.className = "preview";
    img.hidden = false;
    $("stage-caption").textContent = "preview";
  }
}

function describe(p, seed) {
  return `${p.width}×${p.height} · ${p.steps} steps · seed ${seed ?? p.seed} · guidance ${p.guidance}` +
    (p.cfg_scale > 1 ? ` · CFG ${p.cfg_scale}` : "") + ` · ${p.model}`;
}

function showResult(job) {
  $("progress").hidden = true;
  $("cancel").disabled = true;
  const img = $("stage-image");
  const last = job.images[job.images.length - 1];
  if (job.status === "succeeded" && last) {
    img.src = last.url;
    img.className = last.width < 256 ? "small" : "";
    img.hidden = false;
    img.alt = job.parameters.prompt;
    $("stage-caption").textContent = describe(job.parameters, last.seed) + ` · ${seconds(job.seconds)}`;
    $("result-download").href = last.download_url;
    $("result-actions").hidden = false;
    state.shown = job;
  } else {
    const why = job.status === "failed" ? `failed: ${job.error}` : job.status === "interrupted" ? `interrupted: ${job.error}` : "cancelled";
    $("stage-caption").textContent = `The job ${why}` + (job.images.length ? ` (${job.images.length} image(s) kept)` : "");
    if (!job.images.length) img.hidden = true;
  }
}

// ---- Events ------------------------------------------------------------------------------------------

function connectEvents() {
  const source = new EventSource("/api/v1/events");
  source.addEventListener("open", () => setStatus());
  source.addEventListener("error", () => { $("status-line").textContent = "reconnecting…"; });
  source.addEventListener("queue", (e) => renderQueue(JSON.parse(e.data)));
  source.addEventListener("progress", (e) => {
    const p = JSON.parse(e.data);
    if (p.job === state.current) showProgress({ status: "running" }, p);
  });
  source.addEventListener("job", (e) => {
    const job = JSON.parse(e.data);
    if (job.id === state.current) {
      if (job.status === "queued" || job.status === "running") {
        if (job.status === "queued") showProgress(job, null);
      } else {
        state.current = null;
        showResult(job);
      }
    }
    if (["succeeded", "cancelled", "failed", "interrupted"].includes(job.status)) {
      if (job.images.length) refreshGallery();
      refreshResources();
    }
  });
  source.addEventListener("deleted", () => refreshGallery());
}

// ---- Queue -------------------------------------------------------------------------------------------

async function refreshQueue() {
  try { renderQueue(await api("GET", "/api/v1/queue")); } catch (_) { /* shown by the status line */ }
}

function renderQueue(queue) {
  const list = $("queue");
  list.replaceChildren();
  for (const r of queue.running) {
    const li = document.createElement("li");
    li.className = "running";
    const p = r.progress;
    li.append(span("what", `▶ ${r.job.slice(0, 6)} · ${p ? `${Math.round(p.fraction * 100)}%` : "starting"} (${r.device})`));
    li.append(button("✕", "Cancel", () => api("POST", `/api/v1/jobs/${r.job}/cancel`).catch((e) => showError(e.message))));
    list.append(li);
  }
  queue.queued.forEach((id, index) => {
    const li = document.createElement("li");
    li.append(span("what", `${index + 1}. ${id.slice(0, 6)}${id === state.current ? " (yours)" : ""}`));
    if (index > 0) li.append(button("↑", "Run sooner", () => api("POST", `/api/v1/jobs/${id}/move`, { position: index - 1 }).catch((e) => showError(e.message))));
    li.append(button("✕", "Cancel", () => api("POST", `/api/v1/jobs/${id}/cancel`).catch((e) => showError(e.message))));
    list.append(li);
  });
  const more = queue.queued_count - queue.queued.length;
  if (more > 0) list.append(Object.assign(document.createElement("li"), { textContent: `… and ${more} more` }));
  $("queue-empty").hidden = queue.running.length + queue.queued_count > 0;
}

function span(className, text) {
  const s = document.createElement("span");
  s.className = className;
  s.textContent = text;
  return s;
}

function button(label, title, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  return b;
}

// ---- Models and resources ----------------------------------------------------------------------------

async function refreshModels(refresh) {
  try {
    const data = await api("GET", `/api/v1/models${refresh ? "?refresh=1" : ""}`);
    state.models = data.models;
    const select = $("model"), previous = select.value || state.savedModel;
    select.replaceChildren();
    for (const m of data.models) {
      const option = new Option(m.usable ? m.id : `${m.id} (cannot be used)`, m.id);
      option.disabled = !m.usable;
      option.title = m.problem || m.summary;
      select.append(option);
    }
    if (previous && data.models.some((m) => m.id === previous && m.usable)) select.value = previous;
    else if (data.default) select.value = data.default;
    $("no-models").hidden = !data.help;
    $("no-models-help").textContent = data.help || "";
    $("generate").disabled = !data.models.some((m) => m.usable);
  } catch (error) {
    showError(error.message);
  }
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const gib = n / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(1)} GiB` : `${(n / 1024 ** 2).toFixed(0)} MiB`;
}

async function refreshResources() {
  try {
    const s = await api("GET", "/api/v1/system");
    const rows = [];
    if (s.gpus.length) {
      s.gpus.forEach((g, i) => {
        rows.push([`GPU ${i}`, g.name]);
        rows.push(["VRAM used", `${bytes(g.vram_used)} of ${bytes(g.vram_total)}`]);
        rows.push(["VRAM peak", bytes(g.vram_peak)]);
      });
    }
    if (s.gpu_note) rows.push([s.gpus.length ? "Note" : "GPU", s.gpu_note]);
    rows.push(["CPU", `${s.cpu.name} (${s.cpu.threads} threads)`]);
    rows.push(["RAM used", `${bytes(s.ram.used)} of ${bytes(s.ram.total)}`]);
    rows.push(["Server", `${bytes(s.process.resident)} (peak ${bytes(s.process.peak)})`]);
    rows.push(["Jobs", `${s.jobs.succeeded} done · ${s.jobs.queued} queued · ${s.jobs.running} running`]);
    const list = $("resources");
    list.replaceChildren();
    for (const [k, v] of rows) {
      list.append(Object.assign(document.createElement("dt"), { textContent: k }));
      list.append(Object.assign(document.createElement("dd"), { textContent: v }));
    }
    state.version = s.version;
    setStatus();
  } catch (_) { /* retried on the next tick */ }
}

function setStatus() {
  $("status-line").textContent = `${state.version || "bantam"} · connected`;
}

// ---- Gallery -----------------------------------------------------------------------------------------

async function refreshGallery(more) {
  try {
    const path = more && state.galleryNext ? `/api/v1/images?limit=48&before=${state.galleryNext}` : "/api/v1/images?limit=48";
    const data = await api("GET", path);
    const gallery = $("gallery");
    if (!more) gallery.replaceChildren();
    for (const item of data.images) gallery.append(galleryItem(item));
    state.galleryNext = data.next_before;
    $("gallery-more").hidden = !data.next_before;
    $("gallery-empty").hidden = gallery.children.length > 0;
  } catch (_) { /* next event refreshes */ }
}

function galleryItem(item) {
  const box = document.createElement("div");
  box.className = "item";
  box.dataset.id = item.id;
  const img = document.createElement("img");
  img.src = item.url;
  img.loading = "lazy";
  img.alt = item.parameters.prompt;
  img.title = item.parameters.prompt;
  img.addEventListener("click", () => openViewer(item));
  const tools = document.createElement("div");
  tools.className = "tools";
  const download = Object.assign(document.createElement("a"), { href: item.download_url, textContent: "⤓", title: "Download", className: "button" });
  download.setAttribute("download", "");
  tools.append(button("⤢", "Open", () => openViewer(item)));
  tools.append(button("♻", "Reuse parameters", () => applyParameters({ ...item.parameters, seed: item.seed })));
  tools.append(download);
  tools.append(button("🗑", "Delete", () => deleteImage(item)));
  box.append(img, tools, span("caption", `${item.seed} · ${item.parameters.prompt || "(no prompt)"}`));
  return box;
}

function openViewer(item) {
  state.viewing = item;
  $("viewer-image").src = item.url;
  $("viewer-image").alt = item.parameters.prompt;
  $("viewer-download").href = item.download_url;
  const p = item.parameters, list = $("viewer-params");
  list.replaceChildren();
  const rows = [["Prompt", p.prompt || "–"], ["Negative", p.negative_prompt || "–"], ["Seed", item.seed], ["Steps", p.steps],
    ["Guidance", p.guidance], ["CFG", p.cfg_scale], ["Size", `${item.width} × ${item.height}`], ["Model", p.model],
    ["Precision", p.precision], ["Created", new Date(item.created_at).toLocaleString()]];
  for (const [k, v] of rows) {
    list.append(Object.assign(document.createElement("dt"), { textContent: k }));
    list.append(Object.assign(document.createElement("dd"), { textContent: String(v) }));
  }
  $("viewer").showModal();
}

async function deleteImage(item) {
  if (!confirm("Delete this image?")) return;
  try {
    await api("DELETE", `/api/v1/images/${item.id}`);
    document.querySelector(`.gallery .item[data-id="${item.id}"]`)?.remove();
    if ($("viewer").open) $("viewer").close();
  } catch (error) {
    showError(error.message);
  }
}

// ---- Start -------------------------------------------------------------------------------------------

function start() {
  restoreForm();
  $("form").addEventListener("submit", submit);
  $("cancel").addEventListener("click", cancelCurrent);
  $("steps").addEventListener("input", () => { $("steps-value").textContent = $("steps").value; });
  $("size").addEventListener("change", () => { syncSize(); saveForm(); });
  $("seed-random").addEventListener("click", () => { $("seed").value = -1; saveForm(); });
  $("seed-last").addEventListener("click", () => { if (state.lastSeed !== null) $("seed").value = state.lastSeed; saveForm(); });
  $("refresh-models").addEventListener("click", () => refreshModels(true));
  $("refresh-models-banner").addEventListener("click", () => refreshModels(true));
  $("gallery-more").addEventListener("click", () => refreshGallery(true));
  $("result-reuse").addEventListener("click", () => state.shown && applyParameters(state.shown.parameters));
  $("viewer-reuse").addEventListener("click", () => {
    if (state.viewing) applyParameters({ ...state.viewing.parameters, seed: state.viewing.seed });
    $("viewer").close();
  });
  $("viewer-delete").addEventListener("click", () => state.viewing && deleteImage(state.viewing));
  for (const id of SAVED_FIELDS) $(id).addEventListener("change", saveForm);
  refreshModels(false);
  refreshQueue();
  refreshGallery(false);
  refreshResources();
  setInterval(refreshResources, 3000);
  connectEvents();
}

document.addEventListener("DOMContentLoaded", start);
