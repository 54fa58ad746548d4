"""Event covers (posters): the organizer's upload, checked and kept as sized copies, or the
kind's default cover; what cards, event pages, share cards and the share poster show.

The interface other features use:
- `rules.COVER_SIZES`: the named sizes ("card", "detail", "share") and their pixels;
- `service.cover_image(event, size)`: the cover as a Pillow image of that size;
- the `cover_url(event, size)` template global (`views.cover_url`): where a page loads it.
"""
