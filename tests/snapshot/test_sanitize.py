from html.parser import HTMLParser

import pytest

from webapp.snapshot.service import sanitize

HOSTILE = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)" width="120" height="80">',
    '<a href="javascript:alert(1)" class="chip">x</a>',
    '<a href="//evil.example/">x</a>',
    '<a href="https://evil.example/" class="note-link" target="_blank">x</a>',
    '<div class="card-text" style="background:url(https://evil.example/)">x</div>',
    '<iframe src="https://evil.example/">x</iframe>',
    '<svg onload="alert(1)"><script>alert(1)</script><a xlink:href="javascript:1">x</a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<object data="x.swf"></object><embed src="x">',
    '<form action="https://evil.example/"><button formaction="x">go</button></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<base href="https://evil.example/">',
    '<style>@import "https://evil.example/x.css";</style>',
    '<input type="text" autofocus onfocus="alert(1)">',
    '<video><source onerror="alert(1)"></video>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<div id="grid-pinned" name="csrf-token" data-id="5" tabindex="0">x</div>',
    "<!--kaap-snapshot--><!-- a comment -->",
    "<template><img src=x onerror=alert(1)></template>",
    '<img srcset="https://evil.example/a.png 1x" src="data:image/png;base64,AAAA">',
    '<a href="#label/3" onclick="alert(1)" class="chip">label</a>',
]
RUNS_OR_LOADS = [
    "<script",
    "onerror",
    "onload",
    "onclick",
    "onfocus",
    "javascript:",
    "style",
    "<iframe",
    "<svg",
    "<math",
    "<object",
    "<embed",
    "<form",
    "<button",
    "<meta",
    "<link",
    "<base",
    "<input",
    "src",
    "evil.example",
    "<template",
    "<noscript",
    "id=",
    "name=",
    "data-",
    "tabindex",
    "<!--",
    "autofocus",
    "target",
]


@pytest.mark.parametrize("html", HOSTILE)
def test_nothing_that_runs_or_loads_survives(html):
    clean = sanitize(html).lower()
    assert [bit for bit in RUNS_OR_LOADS if bit in clean] == []


def test_a_card_keeps_its_look():
    card = (
        '<div class="snapshot-grid"><div class="snapshot-col">'
        '<article class="card color-teal selected drop-target">'
        '<span class="icon-btn card-pin pinned"><span class="mi">push_pin</span></span>'
        '<div class="images images-mosaic"><div class="image span-3"><img width="320" height="240"></div></div>'
        '<div class="card-content"><div class="card-title">Shopping <mark>milk</mark></div>'
        '<ul class="card-items"><li class="card-item"><span class="snapshot-box"></span><span>eggs</span></li></ul>'
        '<div class="chips"><a class="chip" href="#label/3">home</a></div></div>'
        '<div class="card-toolbar"></div></article></div></div>'
    )
    assert sanitize(card) == card.replace(" selected drop-target", "")


def test_a_reminder_chip_keeps_its_hidden_remove_button_hidden():
    chip = (
        '<span class="chip reminder-chip reminder-upcoming"><span class="reminder-chip-open">'
        '<span class="mi reminder-chip-icon">schedule</span><span class="reminder-chip-text">'
        'Tomorrow, 8:00 AM</span></span><span class="icon-btn chip-remove"><span class="mi">'
        "close</span></span></span>"
    )
    assert sanitize(chip) == chip


def test_text_stays_text():
    assert sanitize('<div class="card-text">a &lt;b&gt; &amp; "c"</div>') == (
        '<div class="card-text">a &lt;b&gt; &amp; "c"</div>'
    )


@pytest.mark.parametrize("size", ["1e9", "10px", "-5", "0", "123456", "50%"])
def test_an_image_size_is_a_plain_number(size):
    assert sanitize(f'<img width="{size}" height="{size}">') == "<img>"


def test_a_foreign_class_is_dropped():
    assert (
        sanitize('<div class="card-text editor open">x</div>') == '<div class="card-text">x</div>'
    )


class Balance(HTMLParser):
    """Open elements while parsing; closing one that is not open counts as a stray."""

    VOID = {"img"}

    def __init__(self):
        super().__init__()
        self.open, self.strays = [], 0

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.strays += 1


@pytest.mark.parametrize(
    "html",
    [
        '</div></main><div class="card-text">x',
        '<div class="card-text"><span class="mi">a</div></span></section>',
        "<section><h2>t</section></h2><ul><li>a<li>b</ul></ul></body></html>",
        *HOSTILE,
    ],
)
def test_the_html_is_balanced_so_it_stays_inside_the_shells_container(html):
    # desktop/thin.py inlines it inside <div id="snapshot">: it must close all it opens, and
    # nothing it did not open
    balance = Balance()
    balance.feed(sanitize(html))
    assert (balance.open, balance.strays) == ([], 0)
