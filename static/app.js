// Lapak's only script, served from /static so the CSP can forbid inline code.
// Progressive enhancement: every form and the menu work without it.
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

  // A <form data-busy="Memproses…"> waits for Netzme: on submit its buttons
  // say so and stop taking clicks, so nobody presses twice. They are
  // disabled only after the browser has read the form (a disabled submit
  // button would drop its own name=value), and enabled again when the page
  // comes back from the back/forward cache.
  document.querySelectorAll("form[data-busy]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      if (ev.defaultPrevented) return;
      if (form.getAttribute("aria-busy") === "true") {
        ev.preventDefault();
        return;
      }
      form.setAttribute("aria-busy", "true");
      var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
      setTimeout(function () {
        buttons.forEach(function (b) {
          if (!b.hasAttribute("data-label")) b.setAttribute("data-label", b.textContent);
          b.textContent = form.getAttribute("data-busy");
          b.disabled = true;
        });
      }, 0);
    });
  });
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) return;
    document.querySelectorAll("form[data-busy][aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button[data-label]").forEach(function (b) {
        b.textContent = b.getAttribute("data-label");
        b.disabled = false;
      });
    });
  });

  // An element with data-refresh="seconds" reloads the page after that long
  // (a cashier watching a pending invoice at the counter), unless a form on
  // the page is being sent.
  var r = document.querySelector("[data-refresh]");
  if (r) {
    var s = parseInt(r.getAttribute("data-refresh"), 10);
    if (s > 0) setTimeout(function () {
      if (!document.querySelector("form[aria-busy=true]")) window.location.reload();
    }, s * 1000);
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

  // A <button data-print> prints the page; with data-print-warn="…" it asks
  // first (a QR that is already paid or expired).
  document.querySelectorAll("button[data-print]").forEach(function (b) {
    b.addEventListener("click", function () {
      var warn = b.getAttribute("data-print-warn");
      if (warn && !window.confirm(warn)) return;
      window.print();
    });
  });

  // The menu. On wide screens each group is a small drop-down: one open at
  // a time, closed by a click elsewhere or Escape. On phones the "Menu"
  // button opens every group at once, a plain list.
  var menu = document.querySelector("[data-navmenu]");
  var groups = Array.prototype.slice.call(document.querySelectorAll("[data-navgroup]"));
  var phone = window.matchMedia("(max-width: 47.99rem)");
  groups.forEach(function (g) {
    g.addEventListener("toggle", function () {
      if (!g.open || phone.matches) return;
      groups.forEach(function (o) { if (o !== g) o.open = false; });
    });
  });
  if (menu) {
    menu.addEventListener("toggle", function () {
      if (menu.open && phone.matches) groups.forEach(function (g) { g.open = true; });
    });
  }
  document.addEventListener("click", function (ev) {
    if (phone.matches) return;
    groups.forEach(function (g) { if (g.open && !g.contains(ev.target)) g.open = false; });
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Escape" || phone.matches) return;
    groups.forEach(function (g) {
      if (!g.open) return;
      g.open = false;
      g.querySelector("summary").focus();
    });
  });
  phone.addEventListener("change", function () {
    groups.forEach(function (g) { g.open = false; });
    if (menu) menu.open = false;
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
