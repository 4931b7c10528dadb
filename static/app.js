// Lapak's only script, served from /static so the CSP can forbid inline code.
// Progressive enhancement: every form works without it.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A <select data-autosubmit> (the merchant switcher) submits on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () {
      if (sel.form) sel.form.requestSubmit();
    });
  });

  // A <form data-confirm="question"> asks before a destructive action.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
    });
  });

  // An element with data-refresh="seconds" reloads the page after that long
  // (a cashier watching a pending invoice at the counter).
  var r = document.querySelector("[data-refresh]");
  if (r) {
    var s = parseInt(r.getAttribute("data-refresh"), 10);
    if (s > 0) setTimeout(function () { window.location.reload(); }, s * 1000);
  }

  // A [data-sync-poll] element (the Netzme sync's progress) asks its
  // data-sync-url every 2 s and fills its [data-sync-field] figures; when the
  // run ends the page reloads once to show how it ended.
  var poll = document.querySelector("[data-sync-poll]");
  if (poll && window.fetch) {
    var url = poll.getAttribute("data-sync-url");
    var fields = function (name) {
      return poll.querySelectorAll('[data-sync-field="' + name + '"]');
    };
    var show = function (st) {
      ["days_done", "days_total", "lines"].forEach(function (k) {
        fields(k).forEach(function (el) { el.textContent = String(st[k]); });
      });
      fields("progress").forEach(function (el) {
        el.max = Math.max(st.days_total, 1);
        el.value = st.days_done;
        el.textContent = st.days_done + " / " + st.days_total;
      });
      fields("error").forEach(function (el) {
        el.textContent = st.error;
        el.hidden = !st.error;
      });
    };
    var tick = function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) { return res.ok ? res.json() : null; })
        .then(function (st) {
          if (!st) { setTimeout(tick, 5000); return; }
          show(st);
          if (!st.running) { window.location.reload(); return; }
          setTimeout(tick, 2000);
        })
        .catch(function () { setTimeout(tick, 5000); });
    };
    setTimeout(tick, 2000);
  }

  // A <button data-print> prints the page (the CVS payment slip).
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
});
