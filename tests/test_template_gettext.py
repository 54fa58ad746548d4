"""Templates translate as Flask-Babel's newstyle gettext does, with the request's catalog looked
up once: the locale in force at each string (force_locale included), variables escaped, plural
forms, and `{% trans %}` blocks."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale


def test_strings_follow_the_locale_in_force(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Events') }}") == "活动"
        with force_locale("en"):
            assert render_template_string("{{ _('Events') }}") == "Events"
        assert render_template_string("{{ _('Events') }}|{{ gettext('Events') }}") == "活动|活动"


def test_variables_are_escaped_and_filled(app):
    with app.test_request_context("/"):
        assert render_template_string("{{ _('%(n)s unread', n='<b>') }}") == "&lt;b&gt; 条未读"
        assert render_template_string("{{ _('100%%') }}") == "100%"


def test_plural_forms_and_trans_blocks(app):
    template = (
        "{{ ngettext('Please correct the %(num)d place marked below:',"
        " 'Please correct the %(num)d places marked below:', n) }}"
    )
    with app.test_request_context("/"), force_locale("en"):
        assert render_template_string(template, n=1) == "Please correct the 1 place marked below:"
        assert render_template_string(template, n=3) == "Please correct the 3 places marked below:"
        assert render_template_string("{% trans %}Events{% endtrans %}") == "Events"
    with app.test_request_context("/"):
        assert render_template_string(template, n=3) == "请修改下面标出的 3 处："
        assert render_template_string("{% trans %}Events{% endtrans %}") == "活动"
