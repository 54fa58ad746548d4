"""The site as an app on a phone's home screen: the web app manifest, the app icons (drawn by
`icons.py`, written into static/app-icons/ by `flask pwa icons`), the service worker at /sw.js
and the offline page it shows when the network fails (网络不可用).

The service worker keeps only what is the same for everyone: the static files (by their
?v=<content hash> URLs, so an upgrade fetches the new ones) and /offline. Pages always come from
the network and are never put in its cache, so a member's own pages never stay on the phone.

- `rules.py`: which static files are precached and the cache's name (pure);
- `icons.py`: the icons drawn with Pillow;
- `views.py`: /manifest.webmanifest, /sw.js, /offline; cli.py: `flask pwa icons`.
"""
