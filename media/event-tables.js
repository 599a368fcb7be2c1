// The event-map tables of the "eBPF Trace" view (client/src/trace/event-tables.ts): a tab per
// map beside the trace_pipe tab. The extension filters and bounds the rows; this page draws
// them in batches (one HTML insert per batch, the oldest beyond maxRows removed as one range)
// and acknowledges each batch, so the extension never has more than one message in flight.
(function () {
  'use strict';
  const vscode = window.bpfdevVsCode;
  const tabs = document.getElementById('tabs');
  const tracePane = document.getElementById('trace-pane');
  const eventsPane = document.getElementById('events-pane');
  const head = document.getElementById('ev-head');
  const body = document.getElementById('ev-rows');
  const scroller = document.getElementById('ev-scroller');
  const filterBox = document.getElementById('ev-filter');
  const errorLine = document.getElementById('ev-error');
  const status = document.getElementById('ev-status');
  const title = document.getElementById('ev-title');
  // bpfdev.trace.maxRows, as the trace_pipe table's reset message carries it.
  let maxRows = 5000;

  /** map name → { columns, rows: string[][] (newest last), counters, filter, filterError, tab } */
  const tables = new Map();
  let selected = null;

  const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
  const escape = (text) => String(text).replace(/[&<>"]/g, (c) => entities[c]);

  function rowHtml(cells) {
    let html = '<tr>';
    for (let index = 0; index < cells.length; index++) html += `<td class="${index < 2 ? 'meta' : 'field'}">${escape(cells[index])}</td>`;
    return html + '</tr>';
  }

  function tab(map) {
    let table = tables.get(map);
    if (table) return table;
    const button = document.createElement('button');
    button.className = 'tab';
    button.setAttribute('role', 'tab');
    button.dataset.map = map;
    button.addEventListener('click', () => select(map));
    tabs.appendChild(button);
    tabs.hidden = false;
    table = { columns: ['time', 'cpu'], rows: [], counters: { total: 0, kept: 0, kernelLost: 0, viewDropped: 0, notDrawn: 0 }, filter: '', filterError: undefined, tab: button };
    tables.set(map, table);
    label(map);
    // The first map to send records is what the user came for: show it.
    if (selected === null && tables.size === 1) select(map);
    return table;
  }

  function label(map) {
    const table = tables.get(map);
    table.tab.textContent = `${map} (${table.counters.total.toLocaleString()})`;
  }

  function select(map) {
    selected = map;
    for (const button of tabs.querySelectorAll('.tab')) button.classList.toggle('selected', (button.dataset.map || null) === map);
    tracePane.hidden = map !== null;
    eventsPane.hidden = map === null;
    if (map !== null) draw();
  }

  function drawStatus() {
    const table = tables.get(selected);
    if (!table) return;
    const c = table.counters;
    status.textContent = `${c.total.toLocaleString()} records · ${table.rows.length.toLocaleString()} shown`;
    const parts = [];
    if (c.kernelLost) parts.push(`${c.kernelLost.toLocaleString()} lost in the kernel`);
    if (c.viewDropped + c.notDrawn) parts.push(`${(c.viewDropped + c.notDrawn).toLocaleString()} dropped by the view`);
    if (parts.length) {
      const dropped = document.createElement('span');
      dropped.className = 'dropped';
      dropped.title = 'Lost in the kernel: the buffer was full and the kernel discarded them (perf lost samples). ' +
        `Dropped by the view: ${c.viewDropped.toLocaleString()} came faster than the editor keeps them (not in Save either), ` +
        `${c.notDrawn.toLocaleString()} were kept (Save writes them) but came faster than this table draws.`;
      dropped.textContent = ` · ${parts.join(' · ')}`;
      status.appendChild(dropped);
    }
    errorLine.hidden = !table.filterError;
    errorLine.textContent = table.filterError ? `${table.filterError.message} (at ${table.filterError.offset + 1})` : '';
    filterBox.classList.toggle('invalid', Boolean(table.filterError));
  }

  function draw() {
    const table = tables.get(selected);
    if (!table) return;
    title.textContent = selected;
    head.innerHTML = table.columns.map((column, index) => `<th class="${index < 2 ? 'meta' : ''}">${escape(column)}</th>`).join('');
    let html = '';
    for (const cells of table.rows) html += rowHtml(cells);
    body.innerHTML = html;
    if (document.activeElement !== filterBox) filterBox.value = table.filter;
    scroller.scrollTop = scroller.scrollHeight;
    drawStatus();
  }

  function append(map, rows) {
    const table = tables.get(map);
    table.rows.push(...rows);
    const excess = table.rows.length - maxRows;
    if (excess > 0) table.rows.splice(0, excess);
    if (map !== selected || rows.length === 0) return;
    const follow = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 8;
    let html = '';
    for (const cells of rows) html += rowHtml(cells);
    body.insertAdjacentHTML('beforeend', html);
    const extra = body.rows.length - table.rows.length;
    if (extra > 0) {
      const range = document.createRange();
      range.setStartBefore(body.rows[0]);
      range.setEndAfter(body.rows[extra - 1]);
      range.deleteContents();
    }
    if (follow) scroller.scrollTop = scroller.scrollHeight;
  }

  function acknowledge() {
    const shown = {};
    for (const [map, table] of tables) shown[map] = table.rows.length;
    requestAnimationFrame(() => setTimeout(() => vscode.postMessage({ type: 'ev-ack', shown }), 0));
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    switch (message.type) {
      case 'reset':
        maxRows = message.maxRows;
        for (const [map, table] of tables) {
          if (table.rows.length > maxRows) table.rows.splice(0, table.rows.length - maxRows);
          if (map === selected) draw();
        }
        break;
      case 'ev-table': {
        const table = tab(message.map);
        table.columns = message.columns;
        table.rows = message.rows.slice(-maxRows);
        table.counters = message.counters;
        table.filter = message.filter;
        table.filterError = message.filterError;
        label(message.map);
        if (message.map === selected) draw();
        acknowledge();
        break;
      }
      case 'ev-rows':
        for (const update of message.tables) {
          tab(update.map).counters = update.counters;
          append(update.map, update.rows);
          label(update.map);
        }
        drawStatus();
        acknowledge();
        break;
      case 'ev-select':
        if (message.map === null || tables.has(message.map)) select(message.map);
        break;
      case 'ev-clear':
        for (const table of tables.values()) table.tab.remove();
        tables.clear();
        tabs.hidden = true;
        select(null);
        break;
    }
  });

  let filterTimer;
  filterBox.addEventListener('input', () => {
    clearTimeout(filterTimer);
    const map = selected;
    filterTimer = setTimeout(() => {
      if (map !== null) vscode.postMessage({ type: 'ev-filter', map, text: filterBox.value });
    }, 200);
  });
  document.getElementById('tab-trace').addEventListener('click', () => select(null));
  document.getElementById('ev-decode-as').addEventListener('click', () => { if (selected !== null) vscode.postMessage({ type: 'ev-decode-as', map: selected }); });
  document.getElementById('ev-save-jsonl').addEventListener('click', () => { if (selected !== null) vscode.postMessage({ type: 'ev-save', map: selected, format: 'jsonl' }); });
  document.getElementById('ev-save-csv').addEventListener('click', () => { if (selected !== null) vscode.postMessage({ type: 'ev-save', map: selected, format: 'csv' }); });
}());
