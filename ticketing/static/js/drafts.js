/* Drafts kept on the device while typing, for every form marked data-draft. A draft fills
   only empty fields (the server's re-rendered text wins), and is deleted once the next page
   says the submission succeeded (a "status" message and no error). Passwords, hidden
   fields and files are never stored.
   A form filled from the database (data-draft-prefilled, e.g. "Ubah laporan") keeps a draft
   only while it differs from those values; it is put back over them when it was typed on
   the same version of the record (data-draft-base) and still differs, with a button to
   return to the saved values. A draft of an older version (the record changed since) is
   dropped: what was saved is newer. */
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
  function prefilled(form) { return form.hasAttribute("data-draft-prefilled"); }
  /* What the server put into a field (the value a form reset returns to). */
  function initial(el) {
    if (el.tagName !== "SELECT") return el.defaultValue;
    var chosen = Array.prototype.filter.call(el.options, function (o) { return o.defaultSelected; });
    return chosen.length ? chosen[0].value : (el.options.length ? el.options[0].value : "");
  }
  function differs(form, data) {
    return fields(form).some(function (el) { return data[el.name] !== undefined && data[el.name] !== initial(el); });
  }
  function save(form) {
    var data = {}, chars = 0, any = false;
    fields(form).forEach(function (el) {
      data[el.name] = el.value; chars += el.value.length;
      if (el.tagName !== "SELECT" && el.value.trim()) any = true;
    });
    var key = keyOf(form);
    if (prefilled(form)) any = differs(form, data);  /* only what was changed is a draft */
    if (!any) { store.removeItem(key); return; }
    if (chars > MAX_CHARS) return;
    var draft = { at: Date.now(), data: data };
    if (form.dataset.draftBase !== undefined) draft.base = form.dataset.draftBase;
    try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* full */ }
  }
  function tell(form, message, undo) {
    var note = document.createElement("p");
    note.className = "flash";
    note.setAttribute("role", "status");
    note.textContent = message;
    if (undo) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = undo.text;
      button.addEventListener("click", function () { undo.run(); note.remove(); });
      note.appendChild(document.createTextNode(" "));
      note.appendChild(button);
    }
    form.insertBefore(note, form.firstChild);
  }
  function fill(form, draft) {
    var restored = false;
    fields(form).forEach(function (el) {
      var value = draft.data[el.name];
      if (value === undefined || (value === "" && !prefilled(form))) return;
      if (el.tagName === "SELECT") {
        if (Array.prototype.some.call(el.options, function (o) { return o.value === value; }) && el.value !== value) { el.value = value; restored = true; }
      } else if (el.value !== value) { el.value = value; restored = true; }
    });
    return restored;
  }
  /* A form filled from the database: the draft goes over it if it is of this version and differs. */
  function loadOver(form, draft, key) {
    if (draft.base !== (form.dataset.draftBase || "") || !differs(form, draft.data)) { store.removeItem(key); return; }
    if (!fill(form, draft)) return;
    var message = form.dataset.draftRestored || document.body.dataset.draftRestored;
    if (message) tell(form, message, form.dataset.draftDiscard && {
      text: form.dataset.draftDiscard,
      run: function () { form.reset(); store.removeItem(key); }
    });
  }
  function load(form) {
    var raw = store.getItem(keyOf(form));
    if (!raw) return;
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { store.removeItem(keyOf(form)); return; }
    if (!draft || !draft.data || Date.now() - draft.at > MAX_AGE) { store.removeItem(keyOf(form)); return; }
    if (prefilled(form)) { loadOver(form, draft, keyOf(form)); return; }
    var typed = fields(form).some(function (el) { return el.tagName !== "SELECT" && el.value.trim(); });
    if (typed) return;  /* the page came back with the text already: keep what the server sent */
    var texts = fields(form).some(function (el) { return el.tagName !== "SELECT" && draft.data[el.name]; });
    var message = form.dataset.draftRestored || document.body.dataset.draftRestored;
    if (fill(form, draft) && texts && message) tell(form, message);
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
    form.addEventListener("input", function () { clearTimeout(timer); form.eskDirty = true; timer = setTimeout(function () { save(form); }, 400); });
    form.addEventListener("change", function () { save(form); });
    form.addEventListener("submit", function () { save(form); sessionStorage.setItem(SENT, keyOf(form)); });
  });
  /* Leaving the page (or the phone locking it) before the pause after the last keystroke. */
  function flushAll() { Array.prototype.forEach.call(forms, function (form) { if (form.eskDirty) save(form); }); }
  window.addEventListener("pagehide", flushAll);
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "hidden") flushAll(); });
  window.eskDrafts = { clear: function (form) { store.removeItem(keyOf(form)); } };
})();
