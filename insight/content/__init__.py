"""The content loop: what customers asked that the KB could not answer, turned into KB edits.

- ``insight.content.questions``: the editors' queue of unanswered questions — listing, review
  states, applying questions as example questions of an article (and taking them off any other
  article) or drafting a new article from them, and the queue's retention;
- ``insight.content.clusters``: the open questions of a period grouped by what they ask, across
  languages, each group with its trend, the closest article and whether the KB already has it
  (``example_gap``) or not (``missing_content``);
- ``insight.content.spikes``: topics suddenly asked about far more than usual, and the signed
  webhook that tells someone.

Plain functions, session first; they only ``flush()``, the caller commits.
"""
