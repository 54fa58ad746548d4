"""Sharing an event where members meet it: a card in a chat (Open Graph and description meta on
every public event page) and the share poster (分享海报), a PNG drawn on the server with the
cover, title, time, place, places left, the organizing union and a QR code to the event page,
ready to long-press, save and send to a WeChat group. Built on events/ and posters/ (the cover,
through `posters.service.cover_image`); no other feature imports it.

- `rules.py`: what the poster says about places (pure), the poster's layout figures;
- `poster.py`: the drawing, from plain values to PNG bytes (Pillow, segno, the Noto SC fonts);
- `service.py`: an event's values for the poster and its share card;
- `views.py`: /events/<id>/share (the page), /events/<id>/share-poster.png, the `share_card`
  template global the pages' meta tags read.
"""
