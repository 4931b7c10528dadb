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

// "Salin tautan" (issue 13): a <button data-copy="text"> copies its text and
// says so for two seconds (data-copied). Where the clipboard is refused the
// link stays visible on the page to select by hand.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    var label = b.textContent;
    b.addEventListener("click", function () {
      var text = b.getAttribute("data-copy");
      var done = function () {
        b.textContent = b.getAttribute("data-copied") || label;
        setTimeout(function () { b.textContent = label; }, 2000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
        return;
      }
      // Plain http on a shop's LAN has no async clipboard: select and copy.
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { if (document.execCommand("copy")) done(); } catch (e) { /* nothing to do */ }
      document.body.removeChild(area);
    });
  });
});
