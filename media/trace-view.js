// The page of the "eBPF Trace" view (client/src/trace/trace-view.ts). Rows arrive in batches;
// each batch is turned into HTML in one go and the oldest rows beyond maxRows are removed in one
// range operation, so a flood costs a few DOM operations per batch, not per line.
(function () {
  'use strict';
  const vscode = acquireVsCodeApi();
  // The page may call acquireVsCodeApi once: the event tables' script (event-tables.js) shares it.
  window.bpfdevVsCode = vscode;
  const rows = document.getElementById('rows');
  const scroller = document.getElementById('scroller');
  const filterBox = document.getElementById('filter');
  const status = document.getElementById('status');
  const empty = document.getElementById('empty');
  const pauseButton = document.getElementById('pause');
  const title = document.getElementById('title');
  let maxRows = 5000;
  let matches = null;
  let counters = { total: 0, lost: 0, skipped: 0, paused: false };

  const saved = vscode.getState() || {};
  filterBox.value = saved.filter || '';
  compileFilter();

  const entities = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
  function escape(text) {
    return String(text).replace(/[&<>"]/g, (c) => entities[c]);
  }

  function compileFilter() {
    const text = filterBox.value;
    filterBox.classList.remove('invalid');
    if (!text) { matches = null; return; }
    const regex = /^\/(.+)\/([a-z]*)$/.exec(text);
    if (regex) {
      try {
        const pattern = new RegExp(regex[1], regex[2].includes('i') ? regex[2] : regex[2] + 'i');
        matches = (line) => pattern.test(line);
      } catch (error) {
        filterBox.classList.add('invalid');
        filterBox.title = String(error.message || error);
        matches = null;
      }
      return;
    }
    const needle = text.toLowerCase();
    matches = (line) => line.toLowerCase().includes(needle);
  }

  function rowText(row) {
    return row.length === 1 ? row[0] : `${row[0]} ${row[1]} ${row[2]} ${row[3]} ${row[4]}`;
  }

  function rowHtml(row, kind) {
    const hidden = matches && !matches(rowText(row)) ? ' hidden' : '';
    if (row.length === 1) return `<tr class="${kind}${hidden}"><td colspan="5">${escape(row[0])}</td></tr>`;
    return `<tr class="record${hidden}"><td class="time">${escape(row[0])}</td><td class="task">${escape(row[1])}</td>` +
      `<td class="pid">${row[2]}</td><td class="cpu">${row[3]}</td><td class="message">${escape(row[4])}</td></tr>`;
  }

  function atBottom() {
    return scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 8;
  }

  function append(batch, kind) {
    if (batch.length === 0) return;
    const follow = atBottom();
    const start = Math.max(0, batch.length - maxRows);
    let html = '';
    for (let index = start; index < batch.length; index++) html += rowHtml(batch[index], kind);
    rows.insertAdjacentHTML('beforeend', html);
    const excess = rows.rows.length - maxRows;
    if (excess > 0) {
      const range = document.createRange();
      range.setStartBefore(rows.rows[0]);
      range.setEndAfter(rows.rows[excess - 1]);
      range.deleteContents();
    }
    if (follow) scroller.scrollTop = scroller.scrollHeight;
  }

  // The extension sends the next rows only after this: a page that draws slower than lines
  // arrive gets the newest ones, never a backlog. After the frame is drawn, so drawing counts.
  function acknowledge() {
    requestAnimationFrame(() => setTimeout(() => vscode.postMessage({ type: 'ack', rows: rows.rows.length }), 0));
  }

  function showStatus() {
    const shown = rows.rows.length;
    empty.hidden = shown > 0;
    pauseButton.textContent = counters.paused ? 'Resume' : 'Pause';
    pauseButton.classList.toggle('active', counters.paused);
    let text = `${counters.total.toLocaleString()} lines · last ${shown} shown`;
    if (counters.paused) text += ' · paused';
    status.textContent = text;
    const droppedCount = counters.lost + counters.skipped;
    if (droppedCount > 0) {
      const dropped = document.createElement('span');
      dropped.className = 'dropped';
      dropped.title = `${counters.lost} lost before reaching the editor (the kernel's trace buffer overflowed, or the extension fell behind); ` +
        `${counters.skipped} received but not drawn because they came faster than this view draws (Save writes those too)`;
      dropped.textContent = ` · ${droppedCount.toLocaleString()} dropped`;
      status.appendChild(dropped);
    }
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    switch (message.type) {
      case 'reset':
        maxRows = message.maxRows;
        counters = message.counters;
        rows.textContent = '';
        append(message.rows, 'raw');
        scroller.scrollTop = scroller.scrollHeight;
        acknowledge();
        break;
      case 'rows':
        counters = message.counters;
        append(message.rows, 'raw');
        acknowledge();
        break;
      case 'notice':
        append([[message.text]], `notice ${message.level}`);
        break;
      case 'title':
        title.textContent = message.text;
        title.title = `${message.text} ${message.detail}`;
        title.classList.toggle('idle', message.text === 'nothing running');
        break;
    }
    showStatus();
  });

  let filterTimer;
  filterBox.addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      compileFilter();
      vscode.setState({ filter: filterBox.value });
      for (const row of rows.rows) row.classList.toggle('hidden', Boolean(matches) && !matches(row.textContent));
    }, 120);
  });
  pauseButton.addEventListener('click', () => vscode.postMessage({ type: 'pause' }));
  document.getElementById('clear').addEventListener('click', () => vscode.postMessage({ type: 'clear' }));
  document.getElementById('save').addEventListener('click', () => vscode.postMessage({ type: 'save' }));

  showStatus();
  vscode.postMessage({ type: 'ready' });
}());
