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

  // A <button data-print> prints the page (the CVS payment slip).
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
});
