"""The machinery under the index: Whoosh's codec with postings as flat arrays (`codec`,
`postings`), packed in small widths (`packing`), stored fields compressed against a
dictionary of the segment's sections (`stored`), the columns read once per generation
(`columns`), sets of documents (`docsets`), BM25F scoring of whole posting lists in numpy
(`scoring`), Whoosh's writer driven for parallel and durable commits (`writing`). The only
package that touches Whoosh's private names, so that the Whoosh pin's reach is this folder.
Imports `search.text`, `search.config` and `search.errors`.
"""
