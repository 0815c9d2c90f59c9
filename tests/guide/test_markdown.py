from __future__ import annotations

import pytest

from guide.markdown import render_markdown


def test_markdown_formatting_is_kept():
    html = render_markdown("Some *care* and **support**:\n\n- listen\n- ask")
    assert "<em>care</em>" in html
    assert "<strong>support</strong>" in html
    assert "<li>listen</li>" in html


@pytest.mark.parametrize(
    "source",
    [
        "Hello <script>alert('x')</script> world",
        "<script src='https://evil.example/x.js'></script>",
        "<SCRIPT>alert(1)</SCRIPT>",
        "```\n</code><script>alert(1)</script>\n```",
    ],
)
def test_script_elements_never_survive(source):
    assert "<script" not in render_markdown(source).lower()


def test_raw_script_is_removed_with_its_content():
    assert render_markdown("Hello <script>alert('x')</script> world") == "<p>Hello  world</p>\n"


@pytest.mark.parametrize(
    "source",
    [
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">hi</p>',
        '<iframe src="https://evil.example"></iframe>',
        "<style>body{display:none}</style>",
    ],
)
def test_dangerous_links_attributes_and_elements_are_removed(source):
    html = render_markdown(source).lower()
    for needle in ('href="javascript', "onerror=", "onclick=", "<iframe", "<img", "<style"):
        assert needle not in html


def test_links_keep_their_address_and_open_safely():
    html = render_markdown("[NAMI](https://www.nami.org)")
    assert 'href="https://www.nami.org"' in html
    assert 'rel="noopener noreferrer"' in html


def test_headings_above_level_three_are_flattened_to_text():
    html = render_markdown("# Big\n\n### Small")
    assert "<h1>" not in html
    assert "Big" in html
    assert "<h3>Small</h3>" in html


def test_empty_text_renders_nothing():
    assert render_markdown("") == ""
