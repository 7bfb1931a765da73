"""Tumblr NPF text blocks <-> the model's RichText, with Tumblr's 4096 code point block limit.

NPF spec: https://github.com/tumblr/docs/blob/master/npf-spec.md

The work lives in `tumblr_read` (NPF -> RichText), `tumblr_write` (RichText -> NPF),
`tumblr_split` (long paragraphs) and `tumblr_npf` (shared facts, and the evidence that NPF
offsets count code points); this module is the one place callers import from.
"""

from __future__ import annotations

from crosspost.text.tumblr_npf import (
    MAX_INDENT_LEVEL,
    NPF_TEXT_LIMIT,
    blog_from_url,
    blog_url,
    npf_text_length,
)
from crosspost.text.tumblr_read import mentioned_blogs, richtext_from_npf
from crosspost.text.tumblr_split import split_paragraph
from crosspost.text.tumblr_write import npf_from_richtext

__all__ = [
    "MAX_INDENT_LEVEL",
    "NPF_TEXT_LIMIT",
    "blog_from_url",
    "blog_url",
    "mentioned_blogs",
    "npf_from_richtext",
    "npf_text_length",
    "richtext_from_npf",
    "split_paragraph",
]
