/* Raise a ticket with no signal: a form marked data-offline that is submitted offline waits
   on the device (IndexedDB) and is shown as "waiting for signal"; when the connection
   returns it is sent, once: it carries its idempotency key, so a repeat is the same ticket.
   Also registers the service worker (sw.js) and asks it to keep recent ticket pages. */
(function () {
  "use strict";
  var box = document.getElementById("outbox");
  var user = document.body.dataset.user;
  if ("serviceWorker" in navigator && user) {
    /* After the page has loaded and settled: installing and filling the cache never competes
       with what the person is reading. */
    window.addEventListener("load", function () { setTimeout(register, 2000); });
  }
  function register() {
    navigator.serviceWorker.register("/sw.js").then(function () {
      var links = document.querySelectorAll("a.ticket-link");
      var urls = Array.prototype.slice.call(links, 0, 10).map(function (a) { return a.href; });
      urls.push("/", "/tickets/new");
      navigator.serviceWorker.ready.then(function (reg) { if (reg.active) reg.active.postMessage({ type: "keep", urls: urls }); });
    }).catch(function () {});
  }
  var logout = document.querySelector("form[data-logout]");
  if (logout && "serviceWorker" in navigator) logout.addEventListener("submit", function () {
    if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "forget" });
  });
  if (!window.indexedDB || !box || !user) return;

  function db() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open("esk-outbox", 1);
      open.onupgradeneeded = function () { open.result.createObjectStore("raises", { keyPath: "id", autoIncrement: true }); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("raises", mode), store = t.objectStore("raises"), result = work(store);
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).filter(function (i) { return String(i.user) === String(user); });
    });
  }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function drop(id) { return tx("readwrite", function (s) { return s.delete(id); }); }
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function text(name) { return box.dataset[name] || ""; }

  function render() {
    return all().then(function (items) {
      var list = box.querySelector("ul");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "outbox-item outbox-" + item.status;
        var title = document.createElement("strong");
        title.textContent = item.title || "…";
        li.appendChild(title);
        li.appendChild(document.createTextNode(" · " + text(item.status)));
        if (item.status === "failed") {
          var open = document.createElement("button");
          open.type = "button";
          open.className = "link";
          open.textContent = text("open");
          open.addEventListener("click", function () { reopen(item); });
          li.appendChild(document.createTextNode(" "));
          li.appendChild(open);
        }
        list.appendChild(li);
      });
      box.hidden = items.length === 0 && !box.querySelector("ol li");
      return items;
    });
  }

  function reopen(item) {
    var data = {};
    item.fields.forEach(function (f) { if (f[0] !== "csrf_token") data[f[0]] = f[1]; });
    try { localStorage.setItem("draft:" + new URL(item.url, location.href).pathname + "#raise", JSON.stringify({ at: Date.now(), data: data })); } catch (e) { /* full */ }
    drop(item.id).then(function () { location.href = item.url; });
  }

  function queue(form) {
    var fields = [], files = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
      else if (value && value.size) files.push({ field: name, name: value.name, type: value.type, blob: value });
    });
    var title = (form.querySelector("[name=title]") || {}).value || "";
    return put({ user: user, url: form.action, fields: fields, files: files, title: title, status: "waiting", at: Date.now() })
      .then(function () {
        if (window.eskDrafts) window.eskDrafts.clear(form);
        form.reset();
        var key = form.querySelector("[name=idempotency_key]");
        if (key) key.value = newKey();  /* the next report is another ticket */
        var note = document.createElement("p");
        note.className = "flash";
        note.setAttribute("role", "status");
        note.textContent = text("queued");
        form.parentNode.insertBefore(note, form);
        return render();
      });
  }

  var sending = false;
  function send(item) {
    /* A fresh form token first (the page may have been open for hours). */
    return fetch(item.url, { credentials: "same-origin" }).then(function (page) {
      if (page.redirected && new URL(page.url).pathname === "/login") { item.status = "signin"; return put(item); }
      return page.text().then(function (html) {
        var token = /name="csrf_token" type="hidden" value="([^"]+)"/.exec(html);
        var body = new FormData();
        item.fields.forEach(function (f) { body.append(f[0], f[0] === "csrf_token" && token ? token[1] : f[1]); });
        item.files.forEach(function (f) { body.append(f.field, new File([f.blob], f.name, { type: f.type })); });
        return fetch(item.url, { method: "POST", body: body, credentials: "same-origin" }).then(function (response) {
          var path = new URL(response.url).pathname;
          /* The ticket page; or the list, when a repeat finds the ticket handed to someone else. */
          if (response.redirected && (/^\/tickets\/\d+$/.test(path) || path === "/")) return drop(item.id).then(function () { return path; });
          if (response.status >= 400 && response.status < 500) { item.status = "failed"; return put(item); }
          if (path === "/login") { item.status = "signin"; return put(item); }
          return put(item);
        });
      });
    });
  }
  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    sending = true;
    return all().then(function (items) {
      var todo = items.filter(function (i) { return i.status !== "failed"; });
      return todo.reduce(function (chain, item) {
        return chain.then(function () {
          item.status = "sending";
          return put(item).then(render).then(function () { return send(item); }).then(function (done) {
            if (typeof done === "string") {
              var li = document.createElement("li");
              var a = document.createElement("a");
              a.href = done;
              a.textContent = text("sent").replace("%s", item.title || done);
              li.appendChild(a);
              box.querySelector("ol").appendChild(li);
              box.querySelector("ol").hidden = false;
            }
          }, function () { item.status = "waiting"; return put(item); });
        });
      }, Promise.resolve());
    }).then(function () { sending = false; return render(); }, function () { sending = false; });
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-offline]"), function (form) {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) return;
      event.preventDefault();
      if (form.reportValidity && !form.reportValidity()) return;
      queue(form);
    });
  });
  window.addEventListener("online", flush);
  window.addEventListener("offline", render);
  render().then(function (items) { if (items.length) flush(); });
  setInterval(function () { all().then(function (items) { if (items.length) flush(); }); }, 30000);
})();
