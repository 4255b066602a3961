// License Manager page: the two things that need script — the copy button and dragging the
// threshold marker. Everything else works as plain HTML.
(function () {
  'use strict';

  function copyButtons() {
    document.querySelectorAll('[data-copy]').forEach(function (button) {
      var input = document.getElementById(button.getAttribute('data-copy'));
      var done = button.parentElement.querySelector('.copy-done');
      if (!input) return;
      button.hidden = false;
      button.addEventListener('click', function () {
        var say = function (text) { if (done) done.textContent = text; };
        var fallback = function () {
          input.select();
          try { say(document.execCommand('copy') ? 'Copied' : 'Press Ctrl+C to copy'); } catch (e) { say('Press Ctrl+C to copy'); }
        };
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(input.value).then(function () { say('Copied'); }, fallback);
        } else {
          fallback();
        }
      });
    });
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
    var timer = null;
    // A slider only once script can move it; without script the number field does the job.
    handle.setAttribute('role', 'slider');
    handle.setAttribute('tabindex', '0');

    function show(p) {
      current = p;
      marker.setAttribute('x1', p + '%');
      marker.setAttribute('x2', p + '%');
      handle.setAttribute('cx', p + '%');
      handle.setAttribute('aria-valuenow', String(p));
      handle.setAttribute('aria-valuetext', p + '%');
      if (field) field.value = String(p);
    }
    function percentAt(clientX) {
      var box = svg.getBoundingClientRect();
      var p = Math.round(((clientX - box.left) / box.width) * 100);
      return Math.min(100, Math.max(1, p));
    }
    function commit() {
      if (current === saved) return;
      var wanted = current;
      status.textContent = 'Saving…';
      fetch(url, {
        method: 'PUT',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ percent: wanted }),
      }).then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body && body.error ? body.error.message : 'The threshold was not saved.');
          saved = body.loc ? body.loc.threshold : wanted;
          show(saved);
          status.textContent = 'Threshold saved: ' + saved + '%';
        });
      }).catch(function (err) {
        show(saved);
        status.textContent = err.message || 'The threshold was not saved.';
      });
    }

    var dragging = false;
    svg.addEventListener('pointerdown', function (e) {
      dragging = true;
      gauge.classList.add('is-dragging');
      svg.setPointerCapture(e.pointerId);
      show(percentAt(e.clientX));
      e.preventDefault();
    });
    svg.addEventListener('pointermove', function (e) { if (dragging) show(percentAt(e.clientX)); });
    function end() {
      if (!dragging) return;
      dragging = false;
      gauge.classList.remove('is-dragging');
      commit();
    }
    svg.addEventListener('pointerup', end);
    svg.addEventListener('pointercancel', end);

    handle.addEventListener('keydown', function (e) {
      var steps = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1, PageDown: -10, PageUp: 10 };
      var next = e.key === 'Home' ? 1 : e.key === 'End' ? 100 : steps[e.key] ? current + steps[e.key] : null;
      if (next === null) return;
      e.preventDefault();
      show(Math.min(100, Math.max(1, next)));
      clearTimeout(timer);
      timer = setTimeout(commit, 600);
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    copyButtons();
    thresholdGauge();
  });
})();
