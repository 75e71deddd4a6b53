/* SaigaWatch review UI: keyboard shortcuts and small conveniences. No inline scripts (CSP forbids them). */
(function () {
  'use strict';
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute('content') : '';
  var help = document.getElementById('help');

  function toggleHelp(show) {
    if (!help) return;
    var visible = show === undefined ? help.classList.contains('hidden') : show;
    help.classList.toggle('hidden', !visible);
    if (visible) help.querySelector('.help-close').focus();
  }
  document.querySelectorAll('.help-open').forEach(function (b) { b.addEventListener('click', function () { toggleHelp(true); }); });
  if (help) {
    help.querySelector('.help-close').addEventListener('click', function () { toggleHelp(false); });
    help.addEventListener('click', function (e) { if (e.target === help) toggleHelp(false); });
  }
  document.querySelectorAll('select.autosubmit').forEach(function (s) {
    s.addEventListener('change', function () { s.form.submit(); });
  });

  function typing(e) {
    var t = e.target;
    return t && (t.isContentEditable || t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT');
  }

  function toast(text, kind) {
    var box = document.createElement('div');
    box.className = 'toast toast-' + (kind || 'ok');
    box.setAttribute('role', 'status');
    box.textContent = text;
    document.body.appendChild(box);
    setTimeout(function () { box.remove(); }, 2500);
  }

  var DECISIONS = { '1': 'sale', '2': 'buy', '3': 'not_trade', '4': 'unsure' };

  /* ---- queue page ---- */
  var table = document.getElementById('queue');
  var rows = table ? Array.prototype.slice.call(table.querySelectorAll('tbody tr.row')) : [];
  var current = -1;

  function select(i, quiet) {
    if (!rows.length) return;
    i = Math.max(0, Math.min(rows.length - 1, i));
    if (current >= 0 && rows[current]) rows[current].classList.remove('selected');
    current = i;
    rows[i].classList.add('selected');
    /* on load the page never moves for the first row (no jump); keys and resuming bring the row into view */
    if (!quiet) rows[i].scrollIntoView({ block: 'nearest' });
  }

  function updateTicked() {
    var n = table ? table.querySelectorAll('tbody input[name="ids"]:checked').length : 0;
    var out = document.getElementById('ticked-count');
    if (out) out.textContent = String(n);
  }

  function decideRow(row, decision) {
    var id = row.getAttribute('data-id');
    fetch('/api/listings/' + encodeURIComponent(id) + '/decision', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify({ decision: decision })
    }).then(function (resp) {
      return resp.json().then(function (body) { return { ok: resp.ok, body: body }; });
    }).then(function (r) {
      if (!r.ok) throw new Error(r.body && r.body.error ? r.body.error.message : 'error');
      var badge = row.querySelector('.status-cell .badge');
      badge.className = 'badge status-' + decision;
      badge.textContent = table.getAttribute('data-label-' + decision) || decision;
      row.classList.add('decided');
      row.setAttribute('data-status', decision);
      toast(table.getAttribute('data-msg-saved') + ': ' + badge.textContent, 'ok');
      if (current < rows.length - 1) select(current + 1);
    }).catch(function (err) {
      toast((table.getAttribute('data-msg-failed') || 'Error') + ' ' + err.message, 'error');
    });
  }

  if (table) {
    rows.forEach(function (row, i) {
      row.addEventListener('click', function (e) {
        if (e.target.closest('a, input, button, label, details')) return;
        select(i);
      });
    });
    table.addEventListener('change', updateTicked);
    var all = document.getElementById('tick-all');
    if (all) all.addEventListener('change', function () {
      table.querySelectorAll('tbody input[name="ids"]').forEach(function (c) { c.checked = all.checked; });
      updateTicked();
    });
    table.querySelectorAll('a.title').forEach(function (a) {
      a.addEventListener('click', function () { remember(a.closest('tr').getAttribute('data-id')); });
    });
    if (rows.length) { var start = resumeIndex(); select(start, start === 0); }
  }

  /* After deciding on a listing page and coming back, continue with the row after it. */
  function remember(id) {
    try { window.sessionStorage.setItem('sw-last-opened', id); } catch (err) { /* storage disabled */ }
  }
  function resumeIndex() {
    var last = null;
    try {
      last = window.sessionStorage.getItem('sw-last-opened');
      window.sessionStorage.removeItem('sw-last-opened');
    } catch (err) { return 0; }
    for (var i = 0; i < rows.length; i++) {
      if (rows[i].getAttribute('data-id') === last) return Math.min(i + 1, rows.length - 1);
    }
    return 0;
  }

  /* ---- sortable tables (appeals, dossier, admin): click a heading; numbers and dates sort as such ---- */
  function cellValue(row, index) {
    var cell = row.children[index];
    var text = cell ? (cell.getAttribute('data-sort') || cell.textContent).trim() : '';
    var dmy = /^(\d{2})\.(\d{2})\.(\d{4})/.exec(text);
    if (dmy) return dmy[3] + dmy[2] + dmy[1];
    var number = text.replace(/[\s\u00a0]/g, '').replace(',', '.');
    return /^-?\d+(\.\d+)?$/.test(number) ? parseFloat(number) : text.toLowerCase();
  }
  document.querySelectorAll('table.sortable').forEach(function (sortable) {
    var heads = sortable.querySelectorAll('thead th');
    heads.forEach(function (th, index) {
      if (th.classList.contains('check')) return;
      th.setAttribute('data-sortable', '');
      th.setAttribute('tabindex', '0');
      function sortBy() {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = sortable.tBodies[0];
        var list = Array.prototype.slice.call(body.rows).filter(function (r) { return r.children.length > 1; });
        list.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var order = (typeof x === 'number' && typeof y === 'number') ? x - y : String(x).localeCompare(String(y), document.documentElement.lang);
          return ascending ? order : -order;
        });
        list.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sortBy);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); sortBy(); } });
    });
  });

  /* ---- listing page ---- */
  var decideForm = document.getElementById('decide-form');

  document.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape') { toggleHelp(false); if (typing(e)) e.target.blur(); return; }
    if (typing(e)) return;
    if (e.key === '?') { e.preventDefault(); toggleHelp(); return; }
    if (e.key === '/') {
      var search = document.getElementById('search');
      if (search) { e.preventDefault(); search.focus(); }
      return;
    }
    if (table && rows.length) {
      if (e.key === 'j') { select(current + 1); e.preventDefault(); return; }
      if (e.key === 'k') { select(current - 1); e.preventDefault(); return; }
      if (e.key === 'Enter' || e.key === 'o') {
        remember(rows[current].getAttribute('data-id'));
        window.location.href = rows[current].getAttribute('data-href');
        return;
      }
      if (e.key === 'x') {
        var box = rows[current].querySelector('input[name="ids"]');
        box.checked = !box.checked; updateTicked(); return;
      }
      if (DECISIONS[e.key]) { decideRow(rows[current], DECISIONS[e.key]); e.preventDefault(); return; }
    }
    if (decideForm) {
      if (DECISIONS[e.key]) {
        var button = decideForm.querySelector('button[data-key="' + e.key + '"]');
        if (button) { e.preventDefault(); button.click(); }
        return;
      }
      if (e.key === 'u') { var back = document.getElementById('back-link'); if (back) window.location.href = back.href; }
    }
  });
})();
