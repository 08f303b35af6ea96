// The page of the upload front: choose or drop a workbook; POST it to
// /preview and show each sheet's first rows and column types, where the
// header row and the sheets are chosen; POST it to /upload and show the
// script with line numbers, copy it, download it.
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
let sheetNames = []; // every sheet of the chosen workbook, from its preview
let unchecked = new Set(); // sheets the person left out
// Each refresh has a number; an answer to an older one is not shown, so
// that a quick change of header row cannot show the previous choice's
// script.
let generation = 0;

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
  // A new workbook: its own header row and sheets.
  $("header-row").value = "";
  sheetNames = [];
  unchecked = new Set();
  $("preview").hidden = true;
  refresh();
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
form.addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
for (const id of ["header-row", "dialect", "batch", "create-table"]) {
  $(id).addEventListener("change", () => { if (chosen !== null) refresh(); });
}

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

// The form both calls send: the workbook and the choices.
function formData() {
  const data = new FormData();
  data.append("file", chosen, chosen.name);
  data.append("batch", $("batch").value || "1");
  if ($("create-table").checked) data.append("create_table", "true");
  data.append("dialect", $("dialect").value);
  const headerRow = $("header-row").value.trim();
  if (headerRow !== "") data.append("header_row", headerRow);
  // Every sheet unless some were left out: then the others, in order.
  if (unchecked.size > 0) {
    for (const name of sheetNames) {
      if (!unchecked.has(name)) data.append("sheet", name);
    }
  }
  return data;
}

function busy(text, state) {
  button.disabled = true;
  $("error").hidden = true;
  $("result").hidden = true; // the last script is not this choice's
  $("status-text").textContent = text;
  $("status").hidden = false;
  setState(state);
}

// Preview, then convert, with the choices as they are now.
async function refresh() {
  if (chosen === null) return;
  if (maxUpload !== null && chosen.size > maxUpload) {
    showError(`The file is larger than the upload limit of ${humanBytes(maxUpload)}.`);
    return;
  }
  if (sheetNames.length > 0 && unchecked.size === sheetNames.length) {
    showError("Choose at least one sheet to convert.");
    return;
  }
  generation += 1;
  const mine = generation;
  if (await preview(mine)) await convert(mine);
}

// POST /preview: true once the preview is shown.
async function preview(mine) {
  busy(`Reading ${chosen.name}…`, "previewing");
  let response;
  try {
    response = await fetch("/preview", { method: "POST", body: formData() });
  } catch (error) {
    if (mine === generation) showError(`The server could not be reached: ${error.message}. Is it still running?`);
    return false;
  }
  if (mine !== generation) return false;
  if (!response.ok) {
    showError(await errorMessage(response));
    return false;
  }
  let body;
  try {
    body = await response.json();
  } catch (error) {
    if (mine === generation) showError(`The preview could not be read: ${error.message}.`);
    return false;
  }
  if (mine !== generation) return false;
  showPreview(body);
  return true;
}

async function convert(mine) {
  busy(`Converting ${chosen.name}…`, "converting");
  let response;
  try {
    response = await fetch("/upload", { method: "POST", body: formData() });
  } catch (error) {
    if (mine === generation) showError(`The server could not be reached: ${error.message}. Is it still running?`);
    return;
  }
  if (mine !== generation) return;
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
    if (mine !== generation) return;
    script = parts.join("");
    scriptName = downloadName(response.headers.get("Content-Disposition"));
    show(script);
  } catch (error) {
    if (mine !== generation) return;
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

// The preview: a box per sheet to choose, and per sheet previewed its first
// rows as a grid, the header row marked, the rows above it left out, and
// under the header each column's name and type. Everything from the
// workbook goes in as text, never as markup.
function showPreview(preview) {
  sheetNames = preview.sheet_names;
  for (const name of [...unchecked]) {
    if (!sheetNames.includes(name)) unchecked.delete(name);
  }
  $("sheet-list").replaceChildren(...sheetNames.map((name) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = !unchecked.has(name);
    box.dataset.sheet = name;
    box.addEventListener("change", () => {
      if (box.checked) unchecked.delete(name); else unchecked.add(name);
      refresh();
    });
    const text = document.createElement("span");
    text.textContent = name;
    label.append(box, text);
    return label;
  }));
  const sheets = $("preview-sheets");
  sheets.replaceChildren(...preview.sheets.map(sheetPreview));
  sheets.dataset.count = String(preview.sheets.length);
  $("preview-more").hidden = preview.more_sheets === 0;
  $("preview-more").textContent =
    `${preview.more_sheets.toLocaleString()} more chosen ${preview.more_sheets === 1 ? "sheet is" : "sheets are"} converted but not previewed.`;
  $("preview").hidden = false;
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function sheetPreview(sheet) {
  const box = element("div", "preview-sheet");
  box.dataset.sheet = sheet.sheet;
  box.dataset.headerRow = sheet.header_row === null ? "" : String(sheet.header_row);
  const title = element("h3");
  title.append(element("span", "sheet-name", sheet.sheet));
  // Without a table every row shown is above the header row chosen.
  const headerRow = sheet.header_row === null ? Infinity : sheet.header_row;
  if (sheet.header_row === null) {
    title.append(sheet.sample.length === 0
      ? " has no cells: it makes no table."
      : " has no cells from the header row on: it makes no table.");
  } else {
    title.append(" → ", element("code", null, sheet.table),
      `: ${sheet.rows.toLocaleString()} ${sheet.rows === 1 ? "row" : "rows"}, header on row ${sheet.header_row}`);
  }
  box.append(title);
  if (sheet.sample.length === 0) return box;

  const grid = element("table", "grid");
  const head = element("tr");
  head.append(element("th", "corner"));
  for (const column of sheet.columns) head.append(element("th", "letter", column.letter));
  const thead = element("thead");
  thead.append(head);
  grid.append(thead);
  const body = element("tbody");
  for (const row of sheet.sample) {
    const line = element("tr", row.row < headerRow ? "above" : row.row === headerRow ? "header" : "data");
    line.dataset.row = String(row.row);
    const number = element("th", "row-number");
    const pick = element("button", "row-pick", String(row.row));
    pick.type = "button";
    pick.dataset.row = String(row.row);
    pick.title = row.row === sheet.header_row
      ? `Row ${row.row} names the columns`
      : `Make row ${row.row} the header`;
    pick.addEventListener("click", () => {
      if (row.row === sheet.header_row) return;
      $("header-row").value = String(row.row);
      refresh();
    });
    number.append(pick);
    line.append(number);
    row.cells.forEach((cell) => line.append(cellView(cell)));
    body.append(line);
    if (row.row === sheet.header_row) body.append(typesRow(sheet));
  }
  if (sheet.header_row !== null && !sheet.sample.some((row) => row.row === sheet.header_row)) {
    // The chosen header row is empty: the columns are named after letters.
    body.prepend(typesRow(sheet));
  }
  grid.append(body);
  const wrap = element("div", "grid-wrap");
  wrap.append(grid);
  box.append(wrap);
  if (sheet.more_columns > 0) {
    box.append(element("p", "note", `${sheet.more_columns.toLocaleString()} more columns are not shown.`));
  }
  return box;
}

function cellView(cell) {
  if (cell === null) return element("td", "empty");
  if (typeof cell === "string") return element("td", null, cell);
  const td = element("td", "cell-error", cell.error);
  td.title = "An error cell: written as NULL, with a warning";
  return td;
}

function typesRow(sheet) {
  const line = element("tr", "types");
  line.append(element("th", "row-number", "type"));
  for (const column of sheet.columns) {
    const td = element("td");
    if (column.name === null) {
      td.append(element("span", "left-out", "left out"));
    } else {
      td.append(element("code", "column-name", column.name), " ",
        element("span", column.chosen ? "type chosen" : "type", column.type));
      if (column.chosen) td.title = "Chosen by hand, not inferred";
    }
    line.append(td);
  }
  return line;
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
