// The verifier view's page (client/src/verifier/verifier-view.ts sends the model built by
// core/src/verifier/view.ts). Plain DOM, no framework: a list of steps and the state of the selected one.
(function () {
  const vscode = acquireVsCodeApi();
  const $ = (id) => document.getElementById(id);
  const programSelect = $('program');
  const pathOnly = $('pathOnly');
  const stepsBox = $('steps');
  const stateBox = $('state');
  const errorBox = $('error');
  const status = $('status');
  const empty = $('empty');

  let result = null;
  let program = null;
  let selected = -1;
  let shown = [];

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function view() {
    return program ? program.view : null;
  }

  function showProgram(name) {
    program = result.programs.find((p) => p.name === name) || result.programs[0] || null;
    const v = view();
    errorBox.hidden = !program;
    errorBox.textContent = '';
    errorBox.className = 'error';
    if (!program) return;
    vscode.postMessage({ type: 'program', name: program.name });
    if (v.error) {
      errorBox.append(el('h3', '', `${program.name}: ${v.error.title}`), el('pre', '', v.error.message), el('p', '', v.error.explanation));
    } else {
      errorBox.classList.add('accepted');
      errorBox.append(el('h3', '', `${program.name}: ${program.verdict === 'ok' ? 'accepted by the verifier' : program.verdict}`));
    }
    for (const note of v.notes) errorBox.append(el('p', '', note));
    pathOnly.disabled = !v.error;
    renderSteps(v.error && v.error.step !== undefined ? v.error.step : v.steps.length - 1);
  }

  function renderSteps(select) {
    const v = view();
    stepsBox.textContent = '';
    const onlyPath = pathOnly.checked && !pathOnly.disabled;
    shown = onlyPath ? v.errorPath.map((i) => v.steps[i]) : v.steps;
    const branches = new Set(v.branchPoints);
    let lastSource = null;
    const fragment = document.createDocumentFragment();
    for (const step of shown) {
      const source = step.source ? `${step.source.line ?? ''}:${step.source.text}` : null;
      if (source && source !== lastSource) {
        fragment.append(el('div', 'source', `; ${step.source.text}${step.source.line ? `  (line ${step.source.line})` : ''}`));
      }
      lastSource = source;
      const row = el('div', 'step');
      row.dataset.step = String(step.step);
      row.setAttribute('role', 'option');
      if (!step.onErrorPath && v.error) row.classList.add('off-path');
      if (branches.has(step.step)) row.classList.add('branch');
      if (step.failed) row.classList.add('failed');
      row.append(el('span', 'insn', String(step.insn)), el('span', 'line', step.source && step.source.line ? `L${step.source.line}` : ''),
        el('span', 'text', `${step.frame ? `[frame ${step.frame}] ` : ''}${step.text}${step.branchFrom !== undefined ? `   ← branch from ${step.branchFrom}` : ''}`));
      fragment.append(row);
    }
    stepsBox.append(fragment);
    empty.hidden = shown.length > 0;
    if (!shown.length) empty.textContent = 'The log shows no instructions (the program was refused before verification, or the log was empty).';
    status.textContent = `${shown.length} of ${v.steps.length} steps · log level ${result.logLevel}${v.insnsProcessed !== undefined ? ` · ${v.insnsProcessed} insns processed` : ''}`;
    selectStep(select, false);
  }

  function selectStep(index, reveal) {
    const v = view();
    if (!v || index < 0 || index >= v.steps.length) return;
    selected = index;
    for (const row of stepsBox.querySelectorAll('.step.selected')) row.classList.remove('selected');
    const row = stepsBox.querySelector(`.step[data-step="${index}"]`);
    if (row) { row.classList.add('selected'); row.scrollIntoView({ block: 'nearest' }); }
    const step = v.steps[index];
    renderState(step);
    vscode.postMessage({ type: 'selected', step: index });
    if (reveal && step.source && step.source.line) vscode.postMessage({ type: 'reveal', line: step.source.line });
  }

  function renderState(step) {
    stateBox.textContent = '';
    const changed = new Set(step.changed);
    stateBox.append(el('h4', '', step.failed ? `Before insn ${step.insn} (rejected here)` : `After insn ${step.insn}${step.frame ? ` in frame ${step.frame}` : ''}`));
    const table = el('table');
    const add = (name, value) => {
      const tr = el('tr', changed.has(name) ? 'changed' : '');
      tr.append(el('td', 'name', name), el('td', 'value', value));
      table.append(tr);
    };
    for (const [name, value] of Object.entries(step.registers)) add(name, value);
    if (Object.keys(step.registers).length === 0) table.append(el('tr', '', ''));
    stateBox.append(table);
    const slots = Object.entries(step.stack);
    if (slots.length) {
      stateBox.append(el('h4', '', 'Stack'));
      const stack = el('table');
      for (const [name, value] of slots) {
        const tr = el('tr', changed.has(name) ? 'changed' : '');
        tr.append(el('td', 'name', name), el('td', 'value', value));
        stack.append(tr);
      }
      stateBox.append(stack);
    }
    if (step.refs.length) stateBox.append(el('h4', '', `References held: ${step.refs.join(', ')}`));
  }

  function move(delta) {
    const at = shown.findIndex((step) => step.step === selected);
    const next = shown[Math.min(shown.length - 1, Math.max(0, at + delta))];
    if (next) selectStep(next.step, true);
  }

  stepsBox.addEventListener('click', (event) => {
    const row = event.target.closest('.step');
    if (row) selectStep(Number(row.dataset.step), true);
  });
  stepsBox.addEventListener('keydown', (event) => {
    if (event.key === 'ArrowDown') { move(1); event.preventDefault(); }
    if (event.key === 'ArrowUp') { move(-1); event.preventDefault(); }
  });
  $('prev').addEventListener('click', () => move(-1));
  $('next').addEventListener('click', () => move(1));
  $('nextBranch').addEventListener('click', () => {
    const v = view();
    if (!v) return;
    const next = v.branchPoints.find((i) => i > selected) ?? v.branchPoints[0];
    if (next !== undefined) selectStep(next, true);
  });
  $('rerun').addEventListener('click', () => vscode.postMessage({ type: 'rerun', logLevel: 2 }));
  pathOnly.addEventListener('change', () => renderSteps(selected));
  programSelect.addEventListener('change', () => showProgram(programSelect.value));

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (message.type === 'loading') {
      status.textContent = message.text;
      return;
    }
    if (message.type !== 'show') return;
    result = message.result;
    programSelect.textContent = '';
    for (const p of result.programs) {
      const option = el('option', '', `${p.name} (${p.verdict})`);
      option.value = p.name;
      programSelect.append(option);
    }
    if (result.error) {
      errorBox.hidden = false;
      errorBox.className = 'error';
      errorBox.textContent = result.error;
      stepsBox.textContent = '';
      stateBox.textContent = '';
      empty.hidden = true;
      status.textContent = '';
      return;
    }
    const wanted = message.program || (result.programs.find((p) => p.verdict === 'rejected') || result.programs[0] || {}).name;
    if (wanted) programSelect.value = wanted;
    showProgram(wanted);
    $('rerun').disabled = result.logLevel >= 2;
  });
  vscode.postMessage({ type: 'ready' });
})();
