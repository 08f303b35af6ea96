// The page of the upload front: choose or drop a workbook, POST it to
// /upload, show the script with line numbers, copy it, download it.
// Plain JavaScript, no build step; the front serves this file as it is.
"use strict";

// Lines shown on the page; Copy and Download always take the whole script.
const SHOWN_LINES = 5000;

// The script's warnings (its "-- warning: " comments, cells written as NULL
// and why) listed above it: at most this many, then how many more. The
// converter's script lists at most 100 cells; this bounds any other server.
const SHOWN_WARNINGS = 200;
const WARNING = "-- warning: ";

const $ = (id) => document.getElementById(id);
const form = $("form");
const input = $("file");
const drop = $("drop");
const button = $("convert");

let chosen = null; // the File to convert
let script = ""; // the last script received
let scriptName = "script.sql";
let maxUpload = null; // learned from /health

fetch("/health")
  .then((r) => (r.ok ? r.json() : null))
  .then((health) => { if (health && health.max_upload) maxUpload = health.max_upload; })
  .catch(() => {});

function setState(state) {
  document.body.dataset.state = state;
}

function humanBytes(n) {
  const units = ["bytes", "KiB", "MiB", "GiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return unit === 0 ? `${n} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

function showError(message) {
  $("status").hidden = true;
  $("error").textContent = message;
  $("error").hidden = false;
  button.disabled = chosen === null;
  setState("error");
}

function choose(file) {
  if (!file) return;
  chosen = file;
  $("file-name").textContent = `${file.name} (${humanBytes(file.size)})`;
  button.disabled = false;
  convert();
}

input.addEventListener("change", () => choose(input.files[0]));
for (const type of ["dragenter", "dragover"]) {
  drop.addEventListener(type, (event) => { event.preventDefault(); drop.classList.add("over"); });
}
for (const type of ["dragleave", "drop"]) {
  drop.addEventListener(type, () => drop.classList.remove("over"));
}
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  choose(event.dataTransfer.files[0]);
});
form.addEventListener("submit", (event) => { event.preventDefault(); convert(); });

// The name offered by the server's Content-Disposition (RFC 6266).
function downloadName(header) {
  if (!header) return "script.sql";
  const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (utf8) {
    try { return decodeURIComponent(utf8[1]); } catch (_) { /* fall through */ }
  }
  const plain = /filename="([^"]+)"/i.exec(header);
  return plain ? plain[1] : "script.sql";
}

async function convert() {
  if (chosen === null) return;
  if (maxUpload !== null && chosen.size > maxUpload) {
    showError(`The file is larger than the upload limit of ${humanBytes(maxUpload)}.`);
    return;
  }
  const data = new FormData();
  data.append("file", chosen, chosen.name);
  data.append("batch", $("batch").value || "1");
  if ($("create-table").checked) data.append("create_table", "true");
  if ($("sheet").value.trim() !== "") data.append("sheet", $("sheet").value.trim());

  button.disabled = true;
  $("error").hidden = true;
  $("result").hidden = true; // the last script is not this file's
  $("status-text").textContent = `Converting ${chosen.name}…`;
  $("status").hidden = false;
  setState("converting");
  let response;
  try {
    response = await fetch("/upload", { method: "POST", body: data });
  } catch (error) {
    showError(`The server could not be reached: ${error.message}. Is it still running?`);
    return;
  }
  if (!response.ok) {
    showError(await errorMessage(response));
    return;
  }
  try {
    // Read the script as it streams in, to show progress on large ones.
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parts = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      parts.push(decoder.decode(value, { stream: true }));
      $("status-text").textContent = `Converting ${chosen.name}… ${humanBytes(received)} received`;
    }
    parts.push(decoder.decode());
    script = parts.join("");
    scriptName = downloadName(response.headers.get("Content-Disposition"));
    show(script);
  } catch (error) {
    // A body cut short: the server stopped the conversion (its time limit,
    // a damaged sheet) or the connection broke. What arrived is not shown:
    // a partial script must not pass for a whole one.
    showError(`The script was cut short (${error.message}): the conversion stopped before its end, ` +
      "for example because it passed the server's time limit. Nothing was kept.");
  }
}

// The sentence of an error answer: the server's JSON {"error": ...} (413,
// 422, 503, 504 all carry one), or its plain text (a busy server's 503),
// with when to retry if the server said so.
async function errorMessage(response) {
  let message = `The server answered ${response.status} ${response.statusText}.`;
  try {
    const text = (await response.text()).trim();
    try {
      const body = JSON.parse(text);
      if (body && typeof body.error === "string") message = body.error;
    } catch (_) {
      if (text !== "" && text.length <= 1000) message = text;
    }
  } catch (_) { /* no body: keep the status line */ }
  const retry = response.headers.get("Retry-After");
  if (retry && /^\d+$/.test(retry) && !/try again in/i.test(message)) {
    message += ` (try again in ${retry} s)`;
  }
  return `${message} (HTTP ${response.status})`;
}

function show(text) {
  const lines = text.endsWith("\n") ? text.slice(0, -1).split("\n") : text.split("\n");
  const shown = lines.slice(0, SHOWN_LINES);
  $("script").textContent = shown.join("\n");
  $("gutter").textContent = shown.map((_, i) => i + 1).join("\n");
  const inserts = lines.filter((l) => l.startsWith("INSERT INTO")).length;
  $("summary").textContent =
    `${lines.length.toLocaleString()} lines, ${inserts.toLocaleString()} INSERT statements, ${humanBytes(new Blob([text]).size)}`;
  showWarnings(lines.filter((l) => l.startsWith(WARNING)).map((l) => l.slice(WARNING.length)));
  $("truncated").hidden = lines.length <= SHOWN_LINES;
  $("truncated").textContent =
    `Showing the first ${SHOWN_LINES.toLocaleString()} of ${lines.length.toLocaleString()} lines; Copy and Download take the whole script.`;
  $("download-name").textContent = scriptName;
  $("status").hidden = true;
  $("result").hidden = false;
  button.disabled = false;
  setState("done");
}

function showWarnings(warnings) {
  const list = $("warning-list");
  // Text nodes only: a warning quotes sheet names from the workbook.
  list.replaceChildren(...warnings.slice(0, SHOWN_WARNINGS).map((warning) => {
    const item = document.createElement("li");
    item.textContent = warning;
    return item;
  }));
  const count = warnings.length;
  $("warnings-title").textContent =
    `${count.toLocaleString()} ${count === 1 ? "warning" : "warnings"} in the script:`;
  const more = count - SHOWN_WARNINGS;
  $("warnings-more").hidden = more <= 0;
  $("warnings-more").textContent = `${more.toLocaleString()} more warnings in the script are not shown here.`;
  $("warnings").hidden = count === 0;
}

function flash(target, text) {
  const before = target.dataset.label || target.textContent;
  target.dataset.label = before;
  target.textContent = text;
  target.classList.add("done");
  setTimeout(() => { target.innerHTML = before; target.classList.remove("done"); }, 1500);
}

$("copy").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(script);
  } catch (_) {
    // The clipboard API needs a secure context (https or localhost);
    // elsewhere, copy through a hidden text area.
    const area = document.createElement("textarea");
    area.value = script;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  flash($("copy"), "Copied");
});

$("download").addEventListener("click", () => {
  const url = URL.createObjectURL(new Blob([script], { type: "application/sql" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = scriptName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
});
