// eventsite's service worker (served as /sw.js by eventsite/pwa/views.py). It keeps only what
// is the same for everyone: the static files, by their content-hashed URLs, and the offline
// page. Pages always come from the network and are never cached; when the network fails, a
// page asked for shows the offline page instead.
"use strict";
var CACHE = {{ cache_name|tojson }};
var CACHE_PREFIX = {{ cache_prefix|tojson }};
var OFFLINE = {{ offline_url|tojson }};
var STATIC = {{ static_path|tojson }};
var PRECACHE = {{ precache|tojson }};

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE).then(function (cache) {
      // No cookies: nothing precached may depend on who is signed in.
      return cache.addAll(PRECACHE.map(function (url) {
        return new Request(url, { credentials: "omit", cache: "reload" });
      }));
    }).then(function () {
      return self.skipWaiting();
    })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf(CACHE_PREFIX) === 0 && name !== CACHE;
      }).map(function (name) {
        return caches.delete(name);
      }));
    }).then(function () {
      return self.clients.claim();
    })
  );
});

function isStatic(url) {
  return url.origin === self.location.origin && url.pathname.indexOf(STATIC) === 0;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") {
    return;
  }
  var url = new URL(request.url);
  if (request.mode === "navigate") {
    // A page: from the network, never from or into the cache; the offline page only when
    // the network fails.
    event.respondWith(fetch(request).catch(function () {
      return caches.match(OFFLINE).then(function (offline) {
        return offline || Response.error();
      });
    }));
    return;
  }
  if (!isStatic(url)) {
    return;
  }
  // A static file: from the cache, else from the network (kept when it is a static file).
  event.respondWith(caches.match(request).then(function (hit) {
    if (hit) {
      return hit;
    }
    return fetch(request).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (response.ok && response.type === "basic" && type.indexOf("text/html") === -1) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) {
          cache.put(request, copy);
        });
      }
      return response;
    });
  }));
});
