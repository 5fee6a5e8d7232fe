"""Article extraction: HTML in, Article (main text and metadata) out, no I/O."""

from monitor.extract.article import Article, article_to_json, extract_article

__all__ = ["Article", "article_to_json", "extract_article"]
