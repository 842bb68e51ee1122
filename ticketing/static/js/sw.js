/* Our service worker: the app's shell and the pages a facilitator opened recently stay
   readable without signal. Pages: network first, the last copy when offline. Static files:
   cache first (their URLs change with the release). POSTs are never touched: an offline
   raise waits in IndexedDB (offline.js) and is sent with its idempotency key. */
"use strict";
var VERSION = "esk-v1";
var PAGES = VERSION + "-pages", STATIC = VERSION + "-static";
var SHELL = ["/static/css/app.css", "/static/js/drafts.js", "/static/js/photos.js",
             "/static/js/offline.js", "/static/icons/icon-192.png"];
var MAX_PAGES = 40;
/* Pages kept for offline reading: the list, the raise form, ticket pages, help. */
var KEEP = /^\/(|tickets\/new|tickets\/\d+|help)$/;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf(VERSION) !== 0; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function trim(cache) {
  return cache.keys().then(function (keys) {
    if (keys.length > MAX_PAGES) return cache.delete(keys[0]).then(function () { return trim(cache); });
  });
}

function keepPage(request, response) {
  /* Only a page really shown to a signed-in user: not a redirect to the sign-in form. */
  if (!response || response.status !== 200 || response.redirected || response.type !== "basic") return;
  var copy = response.clone();
  caches.open(PAGES).then(function (cache) { return cache.put(request.url.split("#")[0], copy).then(function () { return trim(cache); }); });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    /* Stale while revalidate: at once from the cache, refreshed in the background. */
    event.respondWith(caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
        if (hit) { fresh.catch(function () {}); return hit; }
        return fresh;
      });
    }));
    return;
  }
  if (request.mode === "navigate" && url.pathname === "/login") {
    /* The sign-in page: signed out, or the session ended (expired, ended on another device,
       another person on a shared phone). Nothing of the last user stays readable here. */
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.mode !== "navigate" || !KEEP.test(url.pathname)) return;
  event.respondWith(fetch(request).then(function (response) {
    if (response.redirected && new URL(response.url).pathname === "/login") caches.delete(PAGES);
    else if (!url.search) keepPage(request, response);
    return response;
  }).catch(function () {
    return caches.match(request.url.split("#")[0], { ignoreSearch: true }).then(function (hit) {
      if (hit) return hit;
      return caches.match("/", { ignoreSearch: true }).then(function (home) { return home || Response.error(); });
    });
  }));
});

/* The page asks us to keep the facilitator's recent tickets (links on the list page). */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "keep" && Array.isArray(data.urls)) {
    caches.open(PAGES).then(function (cache) {
      data.urls.slice(0, 20).forEach(function (u) {
        var url = new URL(u, self.location.origin);
        if (url.origin !== self.location.origin || !KEEP.test(url.pathname)) return;
        fetch(url.href, { credentials: "same-origin" }).then(function (response) {
          if (response.status === 200 && !response.redirected) cache.put(url.href, response);
        }).catch(function () {});
      });
    });
  } else if (data.type === "forget") {
    /* Signed out: nothing of this user stays readable on the device. */
    caches.delete(PAGES);
  }
});
