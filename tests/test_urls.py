"""URL canonicalisation and the choice of a page's canonical URL."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.extract.urls import canonicalize_url, is_tracking_param, page_canonical, site_of


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/../b/./c?b=2&a=1#frag", "http://example.com/b/c?a=1&b=2"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/Path/Keeps/Case", "https://example.com/Path/Keeps/Case"),
        ("https://example.com/a?utm_source=tw&utm_medium=social&id=5&fbclid=abc&gclid=1", "https://example.com/a?id=5"),
        ("https://example.com/?mc_cid=1&mc_eid=2&yclid=3&_ga=4&igshid=5&ref_src=6&msclkid=7&dclid=8",
         "https://example.com/"),
        ("https://example.com/a?z=1&a=2&z=0", "https://example.com/a?a=2&z=1&z=0"),
        ("https://example.com/%7Euser/%e2%82%ac", "https://example.com/~user/%E2%82%AC"),
        ("https://example.com/a b/ü?q=a b", "https://example.com/a%20b/%C3%BC?q=a%20b"),
        ("https://bücher.example/", "https://xn--bcher-kva.example/"),
        ("https://example.com./", "https://example.com/"),
        ("  https://example.com/x\n", "https://example.com/x"),
        ("https://example.com/a%2Fb", "https://example.com/a%2Fb"),
        ("http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"),
        ("https://example.com/?", "https://example.com/"),
        ("https://example.com/?flag", "https://example.com/?flag"),
        ("https://www.heise.de/meldung/x-4205274.html?wt_mc=rss.ho.beitrag.rdf", "https://www.heise.de/meldung/x-4205274.html"),
    ],
)
def test_canonicalize_url(raw: str, expected: str) -> None:
    """Scheme/host case, default ports, fragments, tracking params, order, dots and escapes are normalised."""
    assert canonicalize_url(raw) == expected


def test_relative_url_against_base() -> None:
    """A relative URL is resolved against the base first."""
    assert canonicalize_url("../c?x=1#top", "https://a.example/b/d/") == "https://a.example/b/c?x=1"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ftp://example.com/file", "not an http"),
        ("mailto:someone@example.com", "not an http"),
        ("javascript:alert(1)", "not an http"),
        ("/relative/path", "needs a base URL"),
        ("http:///nohost", "no host"),
        ("http://[::1/", "malformed URL"),
        ("http://example.com:99999/", "invalid port"),
        ("http://exa mple.com/", "invalid host"),
    ],
)
def test_non_http_urls_raise_value_error(raw: str, message: str) -> None:
    """Anything that is not a usable http(s) URL raises ValueError naming the problem."""
    with pytest.raises(ValueError, match=message):
        canonicalize_url(raw)


def test_tracking_param_names() -> None:
    """utm_* and the click ids are tracking parameters; ordinary names are not."""
    assert all(map(is_tracking_param, ["utm_campaign", "UTM_Source", "fbclid", "gclid"]))
    assert not any(map(is_tracking_param, ["id", "page", "ref"]))


def test_site_of() -> None:
    """The registrable site is two labels, three under a country code with a generic second level."""
    assert site_of("www.bbc.co.uk") == "bbc.co.uk"
    assert site_of("news.example.org") == "example.org"
    assert site_of("rferl.org") == "rferl.org"
    assert site_of("tolonews.com.af") == "tolonews.com.af"


@pytest.mark.parametrize(
    ("canonical", "og_url", "fetched", "expected"),
    [
        ("https://example.org/news/story-1?utm_source=x", None, "https://example.org/news/story-1?amp=1",
         "https://example.org/news/story-1"),
        ("/news/story-1", None, "https://m.example.org/news/story-1", "https://m.example.org/news/story-1"),
        (None, "https://www.example.org/news/story-1", "https://example.org/n/1", "https://www.example.org/news/story-1"),
        ("https://other.example/news/story-1", None, "https://example.org/news/story-1",
         "https://example.org/news/story-1"),
        ("https://example.org/", "https://example.org/news/s", "https://example.org/news/s?x=1",
         "https://example.org/news/s"),
        ("ftp://example.org/news/story-1", None, "https://example.org/n#c", "https://example.org/n"),
        ("{{canonical_url}}", None, "https://example.org/n", "https://example.org/n"),
        (None, None, "HTTPS://Example.org/n?utm_medium=a", "https://example.org/n"),
    ],
)
def test_page_canonical(canonical: str | None, og_url: str | None, fetched: str, expected: str) -> None:
    """rel=canonical, then og:url, when same-site http(s) and not the home page; else the fetched URL."""
    assert page_canonical(canonical, og_url, fetched) == expected


def test_page_canonical_rejects_bad_fetched_url() -> None:
    """The fetched URL must itself be http(s)."""
    with pytest.raises(ValueError, match="not an http"):
        page_canonical(None, None, "file:///etc/passwd")


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80), st.one_of(st.none(), st.sampled_from(["https://a.example/b/", "http://x.example"])))
def test_canonicalize_raises_only_value_error_and_is_idempotent(raw: str, base: str | None) -> None:
    """Any text in: a canonical URL that is a fixed point, or ValueError."""
    try:
        canonical = canonicalize_url(raw, base)
    except ValueError:
        return
    assert canonical.startswith(("http://", "https://"))
    assert "#" not in canonical
    assert canonicalize_url(canonical) == canonical


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["http", "HTTPS"]),
    st.from_regex(r"[a-z]{1,8}(\.[a-z]{1,8}){1,2}", fullmatch=True),
    st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="#?"), max_size=8), max_size=4),
    st.lists(st.tuples(st.from_regex(r"[a-z_]{1,6}", fullmatch=True), st.text(max_size=6)), max_size=4),
)
def test_generated_urls_are_fixed_points(scheme: str, host: str, segments: list[str],
                                         params: list[tuple[str, str]]) -> None:
    """Generated http(s) URLs canonicalise to fixed points with no tracking parameters left."""
    query = "&".join(f"{key}={value}" for key, value in [*params, ("utm_source", "x")])
    canonical = canonicalize_url(f"{scheme}://{host}/{'/'.join(segments)}?{query}")
    assert canonicalize_url(canonical) == canonical
    assert "utm_source" not in canonical
