"""URL canonicalisation: one spelling per page, so the same article is recognised however it was linked."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import unquote, urljoin, urlsplit

import idna

_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "yclid",
        "_ga", "_gl", "igshid", "igsh", "ref_src", "ref_url", "twclid", "ttclid", "li_fat_id", "srsltid",
        "_hsenc", "_hsmi", "__hssc", "__hstc", "__hsfp", "hsctatracking", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_cid", "wickedid", "ncid", "ocid", "cmpid",
        "at_medium", "at_campaign", "pk_campaign", "pk_kwd", "pk_source", "pk_medium", "pk_content",
        "spm", "__twitter_impression", "ito", "xtor", "wt_mc", "wt_zmc",
    }
)
_TRACKING_PREFIXES = ("utm_", "mtm_", "hsa_", "stm_")
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = frozenset("/:@!$&'()*+,;=") | _UNRESERVED
_QUERY_SAFE = frozenset("/?:@!$'()*+,;") | _UNRESERVED  # '&' and '=' separate pairs, so they stay escaped
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_SECOND_LEVEL = frozenset(
    str.split("co com net org gov edu ac or ne go gob mil nic gv info biz ltd plc sch nom web")
)


def is_tracking_param(name: str) -> bool:
    """True for query parameters that only track a click (utm_*, fbclid, gclid ...), not name content."""
    key = unquote(name).strip().lower()
    return key in _TRACKING_PARAMS or key.startswith(_TRACKING_PREFIXES)


def _normalize_escapes(component: str, safe: frozenset[str]) -> str:
    """Unreserved characters unescaped, other escapes upper-cased, unsafe characters UTF-8 escaped."""
    component = _STRAY_PERCENT.sub("%25", component)

    def unescape_unreserved(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"

    component = _ESCAPE.sub(unescape_unreserved, component)
    out: list[str] = []
    for char in component:
        if char in safe or char == "%":
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", errors="surrogatepass"))
    return "".join(out)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: resolve "." and ".." segments of an absolute path."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if result.startswith("/") else "/" + result


def _normalize_host(host: str, url: str) -> str:
    if host.startswith("["):
        if not host.endswith("]"):
            raise ValueError(f"invalid IPv6 host in URL {url!r}")
        try:
            return f"[{ipaddress.IPv6Address(host[1:-1]).compressed}]"
        except ValueError:
            raise ValueError(f"invalid IPv6 host in URL {url!r}") from None
    host = unquote(host).strip().rstrip(".").lower()
    if not host:
        raise ValueError(f"URL has no host: {url!r}")
    if host.isascii():
        if any(char in host for char in " <>\"'`{}|\\^%/"):
            raise ValueError(f"invalid host name {host!r} in URL {url!r}")
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            raise ValueError(f"host {host!r} of URL {url!r} is not a valid internationalised name") from None


def _split_netloc(netloc: str, scheme: str, url: str) -> str:
    userinfo, _, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ""
        if rest and not rest.startswith(":"):
            raise ValueError(f"invalid host and port {hostport!r} in URL {url!r}")
    else:
        host, _, port = hostport.partition(":")
    host = _normalize_host(host, url)
    if port:
        if not port.isascii() or not port.isdigit() or int(port) > 65535:
            raise ValueError(f"invalid port {port!r} in URL {url!r}")
        port = str(int(port))
    if port == _DEFAULT_PORTS[scheme]:
        port = ""
    netloc = host + (f":{port}" if port else "")
    return f"{userinfo}@{netloc}" if userinfo else netloc


def _normalize_query(query: str) -> str:
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if is_tracking_param(key):
            continue
        key = _normalize_escapes(key, _QUERY_SAFE)
        pairs.append((key, sep + _normalize_escapes(value, _QUERY_SAFE | {"="})))
    pairs.sort(key=lambda pair: pair[0])  # stable: repeated keys keep their order
    return "&".join(key + rest for key, rest in pairs)


def canonicalize_url(url: str, base: str | None = None) -> str:
    """Canonical spelling of an http(s) URL (optionally relative to `base`).

    Lower-case scheme and host, IDNA host, no default port, no fragment, no tracking parameters,
    remaining parameters sorted by name (stable), dot segments resolved, escapes normalised; the
    path keeps its case. Raises ValueError with the reason for anything that is not http(s).
    """
    if not isinstance(url, str):
        raise ValueError(f"URL must be a string, not {type(url).__name__}")
    cleaned = _TAB_NEWLINE.sub("", url.strip())
    if base is not None:
        try:
            cleaned = urljoin(_TAB_NEWLINE.sub("", base.strip()), cleaned)
        except ValueError as error:
            raise ValueError(f"cannot resolve {url!r} against {base!r}: {error}") from None
    try:
        parts = urlsplit(cleaned)
    except ValueError as error:
        raise ValueError(f"malformed URL {url!r}: {error}") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise ValueError(f"relative URL {url!r} needs a base URL")
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not an http(s) URL: {url!r} (scheme {scheme!r})")
    if not parts.netloc:
        raise ValueError(f"URL has no host: {url!r}")
    netloc = _split_netloc(parts.netloc, scheme, url)
    path = remove_dot_segments(_normalize_escapes(parts.path or "/", _PATH_SAFE))
    query = _normalize_query(parts.query)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def site_of(host: str) -> str:
    """The registrable part of a host name ("news.bbc.co.uk" -> "bbc.co.uk"), approximated without a
    public-suffix list: two labels, or three under a two-letter country code with a generic second level."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") or host.replace(".", "").isdigit():
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(url_a: str, url_b: str) -> bool:
    """True when both absolute URLs are on the same registrable site."""
    host_a, host_b = urlsplit(url_a).hostname, urlsplit(url_b).hostname
    return bool(host_a and host_b) and site_of(host_a or "") == site_of(host_b or "")


def page_canonical(html_canonical: str | None, og_url: str | None, fetched_url: str) -> str:
    """The page's canonical URL: `<link rel=canonical>`, else og:url, when it is a plausible same-site
    http(s) URL (not the site's home page standing in for an article), else the fetched URL; canonicalised.
    Raises ValueError only when the fetched URL itself is not http(s)."""
    fetched = canonicalize_url(fetched_url)
    fetched_is_home = urlsplit(fetched).path == "/"
    for candidate in (html_canonical, og_url):
        if not candidate or not candidate.strip() or any(mark in candidate for mark in ("{{", "}}", "${")):
            continue
        try:
            resolved = canonicalize_url(candidate, base=fetched_url)
        except ValueError:
            continue
        if not same_site(resolved, fetched):
            continue
        if urlsplit(resolved).path == "/" and not fetched_is_home:
            continue
        return resolved
    return fetched
