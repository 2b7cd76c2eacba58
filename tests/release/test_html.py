from __future__ import annotations

from preservation.release.html import html_to_text
from preservation.release.notice import notice_paragraphs


def test_frame_elements_are_not_content(profile):
    page = (
        "<html><head><title>Kopf</title><style>p{}</style></head><body>"
        "<header>Logo</header><nav>Menü</nav><div role='navigation'>Pfad</div>"
        "<main><h1>Titel</h1><p>Erster <b>fetter</b>\n   Absatz.</p><!-- Kommentar --><script>x()</script>"
        "<ul><li>Punkt eins</li></ul></main><aside>Mehr</aside><footer>© Stadt</footer></body></html>"
    )
    content = html_to_text(page, profile.notice)
    assert content.title == "Titel"
    assert content.text == "Titel\n\nErster fetter Absatz.\n\nPunkt eins"


def test_notice_in_an_aside_is_kept(profile):
    heading, *rest = notice_paragraphs(profile.notice)
    paragraphs = "".join(f"<p>{p}</p>" for p in rest)
    aside = f"<aside><h2>{heading}</h2>{paragraphs}<p>Werbung</p></aside>"
    content = html_to_text(f"<body>{aside}<h1>T</h1></body>", profile.notice)
    assert content.text.split("\n\n") == [heading, *rest, "T"]


def test_nothing_is_fetched_and_entities_stay_local(profile):
    page = (
        '<!DOCTYPE html SYSTEM "http://example.invalid/evil.dtd"><html><body>'
        '<img src="http://example.invalid/x.png"><iframe src="http://example.invalid/"></iframe>'
        "<p>Text &amp; mehr&nbsp;Text</p></body></html>"
    )
    assert html_to_text(page, profile.notice).text == "Text & mehr Text"


def test_empty_or_broken_markup_gives_no_text(profile):
    assert html_to_text("", profile.notice).text == ""
    assert html_to_text("<<<>>>", profile.notice).title is None
