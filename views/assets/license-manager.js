// License Manager page: what needs script — copy buttons, the outcome brought into view and
// focused, the threshold marker, the values of the history chart on hover and keyboard focus,
// and the preview of a key before it is applied. Everything else works as plain HTML.
(() => {
  function copyButtons() {
    document.querySelectorAll('[data-copy]').forEach((button) => {
      var source = document.getElementById(button.getAttribute('data-copy'));
      var done = button.parentElement.querySelector('.copy-done');
      if (!source) return;
      button.hidden = false;
      button.addEventListener('click', () => {
        var text = 'value' in source ? source.value : source.textContent.trim();
        var say = (t) => {
          if (done) done.textContent = t;
        };
        var fallback = () => {
          var range = document.createRange();
          range.selectNodeContents(source);
          var sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          if (source.select) source.select();
          try {
            say(document.execCommand('copy') ? 'Copied' : 'Press Ctrl+C to copy');
          } catch {
            say('Press Ctrl+C to copy');
          }
        };
        if (navigator.clipboard?.writeText) {
          navigator.clipboard.writeText(text).then(() => {
            say('Copied');
          }, fallback);
        } else {
          fallback();
        }
      });
    });
  }

  /** Copy a stored key's text: fetched from the API (the page does not carry every key). */
  function copyKeyButtons() {
    document.querySelectorAll('[data-copy-url]').forEach((button) => {
      var done = button.parentElement.querySelector('.copy-done');
      button.hidden = false;
      button.addEventListener('click', () => {
        var say = (t) => {
          if (done) done.textContent = t;
        };
        fetch(button.getAttribute('data-copy-url'), { credentials: 'same-origin' })
          .then((res) => {
            if (!res.ok) throw new Error();
            return res.text();
          })
          .then((text) => navigator.clipboard.writeText(text.trim()))
          .then(
            () => {
              say('Key copied');
            },
            () => {
              say('Use Download instead');
            },
          );
      });
    });
  }

  /** The outcome of the last action: at the top of the viewport, with focus on it. */
  function outcome() {
    var box = document.querySelector('[data-outcome]');
    if (!box) return;
    box.scrollIntoView({ block: 'start' });
    box.focus({ preventScroll: true });
  }

  /** The chart's threshold line follows the marker (y in pixels from the chart's own scale). */
  function chartThreshold(percent) {
    var chart = document.querySelector('[data-chart]');
    if (!chart) return;
    var limit = Number(chart.getAttribute('data-limit'));
    var top = Number(chart.getAttribute('data-top'));
    if (!limit || !top) return;
    var plotTop = Number(chart.getAttribute('data-plot-top'));
    var plotBottom = Number(chart.getAttribute('data-plot-bottom'));
    var y = plotBottom - ((plotBottom - plotTop) * limit * percent) / 100 / top;
    var line = chart.querySelector('.chart-threshold');
    var tag = chart.querySelector('.chart-tag-threshold');
    if (line) {
      line.setAttribute('y1', String(y));
      line.setAttribute('y2', String(y));
    }
    if (tag) tag.setAttribute('y', String(y + 15));
  }

  function thresholdGauge() {
    var gauge = document.querySelector('[data-threshold-gauge]');
    if (!gauge) return;
    var svg = gauge.querySelector('svg');
    var marker = gauge.querySelector('.gauge-marker');
    var handle = gauge.querySelector('.gauge-handle');
    var status = gauge.querySelector('.gauge-status');
    var field = document.getElementById('threshold');
    var url = gauge.getAttribute('data-api');
    var saved = Number(handle.getAttribute('aria-valuenow'));
    var current = saved;
    // A slider only once script can move it; without script the number field does the job.
    handle.setAttribute('role', 'slider');
    handle.setAttribute('tabindex', '0');

    function show(p) {
      current = p;
      marker.setAttribute('x1', `${p}%`);
      marker.setAttribute('x2', `${p}%`);
      handle.setAttribute('cx', `${p}%`);
      handle.setAttribute('aria-valuenow', String(p));
      handle.setAttribute('aria-valuetext', `${p}%`);
      if (field) field.value = String(p);
      chartThreshold(p);
    }
    function percentAt(clientX) {
      var box = svg.getBoundingClientRect();
      var p = Math.round(((clientX - box.left) / box.width) * 100);
      return Math.min(100, Math.max(1, p));
    }
    function commit() {
      if (current === saved) {
        status.textContent = `Threshold unchanged: ${saved}%`;
        return;
      }
      var wanted = current;
      status.textContent = `Saving ${wanted}%…`;
      fetch(url, {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ percent: wanted }),
      })
        .then((res) =>
          res.json().then((body) => {
            if (!res.ok) throw new Error(body?.error ? body.error.message : 'The threshold was not saved.');
            saved = body.loc ? body.loc.threshold : wanted;
            show(saved);
            status.textContent = `Threshold saved: ${saved}%`;
          }),
        )
        .catch((err) => {
          show(saved);
          status.textContent = err.message || 'The threshold was not saved.';
        });
    }

    // NOTE: only the handle starts a drag: a stray click on the bar moves and saves nothing.
    var dragging = false;
    handle.addEventListener('pointerdown', (e) => {
      dragging = true;
      gauge.classList.add('is-dragging');
      svg.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    svg.addEventListener('pointermove', (e) => {
      if (!dragging) return;
      show(percentAt(e.clientX));
      status.textContent = `Threshold: ${current}% (release to save)`;
    });
    svg.addEventListener('pointerup', () => {
      if (!dragging) return;
      dragging = false;
      gauge.classList.remove('is-dragging');
      commit();
    });
    svg.addEventListener('pointercancel', () => {
      if (!dragging) return;
      dragging = false;
      gauge.classList.remove('is-dragging');
      show(saved);
      status.textContent = `Threshold unchanged: ${saved}%`;
    });

    handle.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        commit();
        return;
      }
      if (e.key === 'Escape') {
        show(saved);
        status.textContent = `Threshold unchanged: ${saved}%`;
        return;
      }
      var steps = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -10, PageUp: 10 };
      var next = e.key === 'Home' ? 1 : e.key === 'End' ? 100 : steps[e.key] ? current + steps[e.key] : null;
      if (next === null) return;
      e.preventDefault();
      show(Math.min(100, Math.max(1, next)));
      status.textContent = `Threshold: ${current}% (press Enter to save, Escape to cancel)`;
    });
    handle.addEventListener('blur', () => {
      if (current !== saved && !dragging) {
        show(saved);
        status.textContent = `Threshold unchanged: ${saved}%`;
      }
    });
  }

  /** The day under the pointer, or the one chosen with the arrow keys, with its value. */
  function historyChart() {
    var figure = document.querySelector('[data-chart]');
    var table = document.querySelector('[data-testid="history-table"]');
    if (!figure || !table) return;
    var svg = figure.querySelector('svg');
    var cursor = svg.querySelector('.chart-cursor');
    var dot = svg.querySelector('.chart-cursor-dot');
    var readout = figure.querySelector('.chart-readout');
    var days = Array.prototype.map.call(table.querySelectorAll('tbody tr'), (tr) => ({
      x: Number(tr.getAttribute('data-x')),
      y: Number(tr.getAttribute('data-y')),
      day: tr.cells[0].textContent,
      value: tr.cells[1].textContent,
    }));
    if (!days.length) return;
    var at = days.length - 1;
    svg.setAttribute('tabindex', '0');
    svg.setAttribute('aria-describedby', 'history-keys');
    var hint = document.createElement('p');
    hint.id = 'history-keys';
    hint.className = 'hint';
    hint.textContent = 'Point at the chart, or focus it and use the arrow keys, to read a day’s value.';
    figure.appendChild(hint);

    function select(i) {
      at = Math.max(0, Math.min(days.length - 1, i));
      var d = days[at];
      cursor.setAttribute('x1', `${d.x}%`);
      cursor.setAttribute('x2', `${d.x}%`);
      dot.setAttribute('cx', `${d.x}%`);
      dot.setAttribute('cy', String(d.y));
      cursor.setAttribute('visibility', 'visible');
      dot.setAttribute('visibility', 'visible');
      readout.textContent = `${d.day}: ${d.value} lines of code`;
    }
    function hide() {
      cursor.setAttribute('visibility', 'hidden');
      dot.setAttribute('visibility', 'hidden');
    }
    svg.addEventListener('pointermove', (e) => {
      var box = svg.getBoundingClientRect();
      var pct = ((e.clientX - box.left) / box.width) * 100;
      var best = 0;
      for (let i = 1; i < days.length; i++) if (Math.abs(days[i].x - pct) < Math.abs(days[best].x - pct)) best = i;
      select(best);
    });
    svg.addEventListener('pointerleave', () => {
      if (document.activeElement !== svg) hide();
    });
    svg.addEventListener('focus', () => {
      select(at);
    });
    svg.addEventListener('blur', hide);
    svg.addEventListener('keydown', (e) => {
      var moves = { ArrowLeft: -1, ArrowRight: 1, PageUp: -7, PageDown: 7 };
      if (e.key === 'Home') select(0);
      else if (e.key === 'End') select(days.length - 1);
      else if (moves[e.key]) select(at + moves[e.key]);
      else return;
      e.preventDefault();
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    copyButtons();
    copyKeyButtons();
    thresholdGauge();
    historyChart();
    outcome();
  });
})();
