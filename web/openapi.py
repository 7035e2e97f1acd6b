"""The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json.

Its schemas are JSON Schema (2020-12); the tests validate real responses against them, so the
document cannot drift from what the API sends.
"""

from __future__ import annotations

from typing import Any

from search.complete import DEFAULT_LIMIT, KIND_ORDER, MAX_LIMIT
from search.facets import DATE_RANGE, FACETS, SCOPE, Facet
from search.ingest.kinds import KINDS
from search.query.request import MAX_PAGE, MAX_QUERY_CHARS, MAX_SIZE, SORTS

_HTML_NOTE = (
    "HTML: the document's text with every character escaped, and the matches wrapped in "
    "<mark>…</mark>. Insert it as HTML only as it is; everything else in the API is plain text "
    "and must be escaped by the consumer."
)


def _string(description: str = "", nullable: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string"}
    if description:
        schema["description"] = description
    return schema


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with these properties, all required but the `optional` ones."""
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties}


_YEAR = {"type": ["integer", "null"]}
_COUNT = {"type": "integer", "minimum": 0}

SCHEMAS: dict[str, Any] = {
    "Hit": _object(
        {
            "id": _string("Section id: <doc_id>:s-<n>."),
            "doc_id": _string(),
            "title": _string(),
            "title_html": _string("The title, " + _HTML_NOTE),
            "agency": _string("发布机构."),
            "year": _YEAR,
            "topic": _string("主题分类."),
            "kind": {"enum": list(KINDS), "description": "文件类型, derived from the header."},
            "date": _string("ISO date, publication or else writing.", nullable=True),
            "doc_number": _string("发文字号 as the document writes it; empty when it has none."),
            "heading": _string(),
            "breadcrumb": {"type": "array", "items": _string()},
            "url": _string("Absolute link to the section on its document's page."),
            "passages": {"type": "array", "items": _string(_HTML_NOTE), "maxItems": 3},
            "more_sections": _COUNT,
            "versions": {
                "type": "array",
                "description": "Other versions of the document's law (same title, another "
                "发布日期), newest first; the hit shows the newest that matches unless the query "
                "names another's year or 文号.",
                "items": _object(
                    {"doc_id": _string(), "date": _string("ISO date.", nullable=True)}
                ),
            },
            "matched": {
                "enum": ["words", "meaning", "both"],
                "description": "How the hit was found: by the query's words; by meaning alone "
                "(a question answered in other words than its own: the passages then show the "
                "section's opening, with nothing marked); or by both.",
            },
        }
    ),
    "FacetValue": _object(
        {"value": {"type": ["string", "integer"]}, "count": _COUNT, "selected": {"type": "boolean"}}
    ),
    "SearchResponse": _object(
        {
            "ok": {"const": True},
            "total": {**_COUNT, "description": "Documents when collapsed, else sections."},
            "total_sections": _COUNT,
            "total_hits": {
                **_COUNT,
                "description": "What the pages list: total, but when collapsed the versions"
                " of one law (its hit's `versions`) count once. Pages: total_hits / size.",
            },
            "page": {"type": "integer", "minimum": 1},
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_SIZE},
            "collapse": {"type": "boolean"},
            "sort": {"enum": list(SORTS)},
            "relaxed": {
                "type": "boolean",
                "description": "No section matched every word: ranked by the words found.",
            },
            "full_matches": _COUNT,
            "took_ms": {"type": "number"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": _object(
                {
                    name: {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}}
                    for name in (facet.name for facet in FACETS)
                }
            ),
            "suggestion": _string("A query that finds more (did you mean).", nullable=True),
            "pinyin": {
                "oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/PinyinSearch"}],
                "description": "Set when the query, typed in pinyin or initials, was searched "
                "as the Chinese term it spells; quote it to search it as typed.",
            },
            "partial": {
                "const": True,
                "description": "Served on a cluster (`govsearch cluster start`): some shards "
                "did not answer, and the results are those of the others. Absent when every "
                "shard answered.",
            },
            "missing_shards": {
                "type": "array",
                "items": _string("A shard's directory name (shard-01)."),
                "description": "With partial: the shards that did not answer.",
            },
        },
        optional=("partial", "missing_shards"),
    ),
    "PinyinSearch": _object(
        {
            "typed": _string("The query as typed (yshj)."),
            "searched": _string("The term searched instead (营商环境)."),
        }
    ),
    "Completion": _object(
        {
            "text": _string(),
            "kind": {
                "enum": list(KIND_ORDER),
                "description": "query: a popular past query; title: a document title or a "
                "section heading; term: a word of the index or of the domain dictionary.",
            },
            "count": {
                **_COUNT,
                "description": "Times searched, documents or sections so titled, or sections "
                "holding the term.",
            },
        }
    ),
    "SuggestResponse": _object(
        {
            "ok": {"const": True},
            "suggestions": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Completion"},
                "maxItems": MAX_LIMIT,
            },
        }
    ),
    "Section": _object(
        {
            "id": _string(),
            "anchor": _string("Fragment of the section on its document's page."),
            "heading": _string(),
            "breadcrumb": {"type": "array", "items": _string()},
            "text": _string("Plain text."),
            "url": _string(),
        }
    ),
    "DocumentMeta": _object(
        {
            "doc_id": _string(),
            "title": _string(),
            "agency": _string(),
            "topic": _string(),
            "kind": {"enum": list(KINDS)},
            "year": _YEAR,
            "date": _string(nullable=True),
            "written": _string("成文日期.", nullable=True),
            "published": _string("发布日期.", nullable=True),
            "doc_number": _string("发文字号."),
            "index_number": _string("索引号."),
            "versions": {
                "type": "array",
                "description": "The other versions of the document's law (same title, another "
                "发布日期), newest first; empty when it has none.",
                "items": _object(
                    {"doc_id": _string(), "date": _string("ISO date.", nullable=True)}
                ),
            },
            "url": _string(),
        }
    ),
    "Error": _object(
        {
            "ok": {"const": False},
            "error": _string("What went wrong and, for a parameter, why."),
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "parameter": _string("The offending query parameter (400 only)."),
            "message": _string("The same in Chinese, for a portal to show its readers."),
        },
        optional=("parameter", "message"),
    ),
}
SCHEMAS["DocumentResponse"] = _object(
    {
        "ok": {"const": True},
        "document": {
            "allOf": [{"$ref": "#/components/schemas/DocumentMeta"}],
            "required": ["sections"],
            "properties": {
                "sections": {"type": "array", "items": {"$ref": "#/components/schemas/Section"}}
            },
        },
    }
)
SCHEMAS["SectionResponse"] = _object(
    {
        "ok": {"const": True},
        "section": {"$ref": "#/components/schemas/Section"},
        "document": {"$ref": "#/components/schemas/DocumentMeta"},
    }
)

# The query log's lists: hot searches, and the related searches beside a search's results.
SCHEMAS["QueryCount"] = _object(
    {
        "text": _string("A past query, normalised: link it as /search?q=<text>."),
        "count": {**_COUNT, "description": "Its searches that found a section with every word."},
    }
)
_QUERY_COUNTS = {"type": "array", "items": {"$ref": "#/components/schemas/QueryCount"}}
SCHEMAS["HotResponse"] = _object({"ok": {"const": True}, "queries": _QUERY_COUNTS})
SCHEMAS["SearchResponse"]["properties"]["related"] = {
    **_QUERY_COUNTS,
    "description": "Popular past queries that share a word with this one and found something.",
}
SCHEMAS["SearchResponse"]["required"].append("related")


def _param(
    name: str, schema: dict[str, Any], description: str, where: str = "query"
) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema,
        "description": description,
    }


def _facet_param(facet: Facet) -> dict[str, Any]:
    value: dict[str, Any] = {"type": "string"}
    if facet.choices:
        value["enum"] = list(facet.choices)
    if facet.example:
        value["examples"] = [facet.example]
    schema = {"type": "array", "items": value} if facet.repeatable else value
    return _param(facet.name, schema, f"{facet.label}: {facet.help}")


SEARCH_PARAMETERS = [
    _param(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_CHARS},
        'Words, "phrase", -excluded, A OR B, 标题:词, a 发文字号 or 索引号, or a question.',
    ),
    *(_facet_param(facet) for facet in FACETS),
    _param(
        "sort",
        {"enum": list(SORTS)},
        "date: newest first; date_asc: oldest first (undated last). Default: relevance; date "
        "when q is empty (browsing) and doc is not given.",
    ),
    *(
        _param(
            name,
            {"type": "string", "format": "date", "examples": [example]},
            f"{DATE_RANGE.label}: {help_text}",
        )
        for name, help_text, example in zip(
            DATE_RANGE.parameters, DATE_RANGE.helps, DATE_RANGE.example, strict=True
        )
    ),
    _param(SCOPE.name, {"enum": list(SCOPE.values), "default": SCOPE.default}, SCOPE.help),
    _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page number."),
    _param("size", {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}, "Hits per page."),
    _param("collapse", {"type": "boolean"}, "One hit per document (default true)."),
    _param(
        "doc",
        {"type": "string"},
        "Only the sections of this document; an id the index does not have is a 400.",
    ),
]

HOT_PARAMETERS = [
    _param("limit", {"type": "integer", "minimum": 1, "maximum": 50}, "Queries (default 10)."),
    _param("days", {"type": "integer", "minimum": 1, "maximum": 365}, "Period (default 30)."),
]


SUGGEST_PARAMETERS = [
    _param(
        "q",
        {"type": "string", "maxLength": MAX_QUERY_CHARS},
        "What has been typed: characters, pinyin (yingshang, ying shang) or initials (yshj). "
        "Empty: no suggestions.",
    ),
    _param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Most suggestions.",
    ),
]


def _responses(ok_schema: str, *errors: int) -> dict[str, Any]:
    reasons = {
        400: (
            "A parameter is invalid or not one the request takes (a name that starts with `_`"
            " passes); `parameter` names it."
        ),
        404: "No such document or section.",
        503: "There is no index yet.",
    }
    responses = {"200": _json_response("Success.", ok_schema)}
    for status in errors:
        responses[str(status)] = _json_response(reasons[status], "Error")
    for status, reason in _ANY_OPERATION_ERRORS.items():
        responses[str(status)] = _json_response(reason, "Error")
    return responses


# What any operation may answer, whatever its parameters.
_ANY_OPERATION_ERRORS = {
    405: "The method is not GET (or HEAD, or an OPTIONS preflight).",
    414: "The URL is longer than the server reads (8,190 bytes).",
    429: "Too many requests from this client (the server's rate_limit setting); wait for "
    "the Retry-After header's seconds.",
    431: "The request's headers are too large.",
}


def _json_response(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def openapi_document(server_url: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "govsearch",
            "version": "1",
            "description": "Search Chinese government documents section by section.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {
                "get": {
                    "summary": "Ranked sections with passages, facets and totals.",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": _responses("SearchResponse", 400, 503),
                }
            },
            "/api/suggest": {
                "get": {
                    "summary": "Completions of what is being typed: titles, headings, terms "
                    "and popular queries, by characters, pinyin or initials.",
                    "parameters": SUGGEST_PARAMETERS,
                    "responses": _responses("SuggestResponse", 400, 503),
                }
            },
            "/api/hot": {
                "get": {
                    "summary": "Hot searches: the most asked queries that found something.",
                    "parameters": HOT_PARAMETERS,
                    "responses": _responses("HotResponse", 400),
                }
            },
            "/api/docs/{doc_id}": {
                "get": {
                    "summary": "A document's metadata and its sections in reading order.",
                    "parameters": [_param("doc_id", {"type": "string"}, "Document id.", "path")],
                    "responses": _responses("DocumentResponse", 404, 503),
                }
            },
            "/api/sections/{section_id}": {
                "get": {
                    "summary": "One section and its document's metadata.",
                    "parameters": [_param("section_id", {"type": "string"}, "Section id.", "path")],
                    "responses": _responses("SectionResponse", 404, 503),
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
