// Counter mode, the customer pay page and print pages (issue 13). Served from
// /static so the CSP can forbid inline code. Every page works without it:
// the amount can be typed, the form posts, pages reload themselves.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // ---- The keypad: digits into the amount field, shown grouped (20.000).
  var amount = document.querySelector("[data-kasir-amount]");
  if (amount) {
    var digits = function () { return amount.value.replace(/[^0-9]/g, "").replace(/^0+/, ""); };
    var show = function (d) {
      d = d.slice(0, 10); // Rp 9.999.999.999 is beyond any limit already
      amount.value = d.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    };
    document.querySelectorAll("[data-key]").forEach(function (b) {
      b.addEventListener("click", function () {
        var k = b.getAttribute("data-key"), d = digits();
        if (k === "back") d = d.slice(0, -1);
        else if (d !== "" || (k !== "0" && k !== "000")) d += k;
        show(d);
        if (navigator.vibrate) navigator.vibrate(10);
      });
    });
    amount.addEventListener("input", function () {
      var at = amount.value.length - amount.selectionEnd;
      show(digits());
      var pos = Math.max(amount.value.length - at, 0);
      amount.setSelectionRange(pos, pos);
    });
    // A counter PC types; a phone uses the keypad without its own keyboard.
    if (window.matchMedia && window.matchMedia("(pointer: fine)").matches) amount.focus();
  }

  // ---- Live status: poll data-status-url (JSON) every 1.5 s while the
  // payment is open; show the blocks whose data-when lists the new status.
  var live = document.querySelector("[data-status-url]");
  if (!live) return;
  var open = function (s) { return s === "pending" || s === "unknown"; };
  var sound = live.getAttribute("data-sound");
  var toggle = document.querySelector("[data-sound-toggle]");
  var soundOn = function () { return window.localStorage && localStorage.getItem("lapak-sound") !== "off"; };
  var audio = null;
  if (sound && toggle) {
    audio = new Audio(sound);
    var label = function () { toggle.textContent = toggle.getAttribute(soundOn() ? "data-on" : "data-off"); };
    toggle.hidden = false;
    label();
    toggle.addEventListener("click", function () {
      localStorage.setItem("lapak-sound", soundOn() ? "off" : "on");
      label();
      // A tap is the user's gesture that lets the browser play it later.
      if (soundOn()) { audio.muted = true; audio.play().then(function () { audio.pause(); audio.muted = false; audio.currentTime = 0; }, function () {}); }
    });
  }

  var apply = function (s) {
    live.setAttribute("data-status", s.status);
    document.querySelectorAll("[data-when]").forEach(function (el) {
      el.hidden = el.getAttribute("data-when").split(" ").indexOf(s.status) < 0;
    });
    if (s.paid_at) document.querySelectorAll("[data-fill=paid_at]").forEach(function (el) { el.textContent = s.paid_at; });
    if (s.receipt) document.querySelectorAll("[data-fill=receipt]").forEach(function (el) { el.href = s.receipt; });
    if (s.receipt_wa) document.querySelectorAll("[data-fill=receipt_wa]").forEach(function (el) { el.href = s.receipt_wa; });
    if (s.status === "paid" && audio && soundOn()) audio.play().catch(function () {});
  };

  var tick = function () {
    fetch(live.getAttribute("data-status-url"), { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (s) {
        if (s.status !== live.getAttribute("data-status")) apply(s);
        if (open(s.status)) setTimeout(tick, 1500);
      })
      .catch(function () { setTimeout(tick, 4000); });
  };
  if (open(live.getAttribute("data-status"))) setTimeout(tick, 1500);
});
