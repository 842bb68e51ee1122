/* Drafts kept on the device while typing, for every form marked data-draft. A draft fills
   only empty fields (the server's re-rendered text wins), and is deleted once the next page
   says the submission succeeded (a "status" message and no error). Passwords, hidden
   fields and files are never stored. */
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; store.setItem("draft:test", "1"); store.removeItem("draft:test"); } catch (e) { return; }
  var PREFIX = "draft:", SENT = "draft-sent", MAX_AGE = 7 * 24 * 3600 * 1000, MAX_CHARS = 50000;

  function keyOf(form) { return PREFIX + new URL(form.action, location.href).pathname + "#" + (form.dataset.draft || ""); }
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled) return false;
      if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
      return el.tagName === "INPUT" && /^(text|email|search|tel|url|number|date)$/.test(el.type);
    });
  }
  function save(form) {
    var data = {}, chars = 0, any = false;
    fields(form).forEach(function (el) {
      data[el.name] = el.value; chars += el.value.length;
      if (el.tagName !== "SELECT" && el.value.trim()) any = true;
    });
    var key = keyOf(form);
    if (!any) { store.removeItem(key); return; }
    if (chars > MAX_CHARS) return;
    try { store.setItem(key, JSON.stringify({ at: Date.now(), data: data })); } catch (e) { /* full */ }
  }
  function load(form) {
    var raw = store.getItem(keyOf(form));
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { store.removeItem(keyOf(form)); return; }
    if (!draft || Date.now() - draft.at > MAX_AGE) { store.removeItem(keyOf(form)); return; }
    var typed = fields(form).some(function (el) { return el.tagName !== "SELECT" && el.value.trim(); });
    if (typed) return;  /* the page came back with the text already: keep what the server sent */
    var restored = false;
    fields(form).forEach(function (el) {
      var value = draft.data[el.name];
      if (value === undefined || value === "") return;
      if (el.tagName === "SELECT") {
        if (Array.prototype.some.call(el.options, function (o) { return o.value === value; })) el.value = value;
      } else { el.value = value; restored = true; }
    });
    var message = form.dataset.draftRestored || document.body.dataset.draftRestored;
    if (restored && message) {
      var note = document.createElement("p");
      note.className = "flash";
      note.setAttribute("role", "status");
      note.textContent = message;
      form.insertBefore(note, form.firstChild);
    }
  }

  /* After a submission: a success message and no error on this page means it was accepted. */
  var sent = sessionStorage.getItem(SENT);
  if (sent) {
    sessionStorage.removeItem(SENT);
    var ok = document.querySelector(".flash-info") && !document.querySelector(".flash-error, .error, .conflict");
    if (ok) store.removeItem(sent);
  }
  for (var i = store.length - 1; i >= 0; i--) {
    var k = store.key(i);
    if (k && k.indexOf(PREFIX) === 0) {
      try { if (Date.now() - JSON.parse(store.getItem(k)).at > MAX_AGE) store.removeItem(k); } catch (e) { store.removeItem(k); }
    }
  }

  var forms = document.querySelectorAll("form[data-draft]");
  Array.prototype.forEach.call(forms, function (form) {
    load(form);
    var timer;
    form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { save(form); }, 400); });
    form.addEventListener("change", function () { save(form); });
    form.addEventListener("submit", function () { save(form); sessionStorage.setItem(SENT, keyOf(form)); });
  });
  window.eskDrafts = { clear: function (form) { store.removeItem(keyOf(form)); } };
})();
